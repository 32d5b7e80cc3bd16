// Numbers and times as the current language writes them; times in the city's time zone.
import { cityParts } from './dates.js';
import { locale } from './i18n.js';

export function formatNumber(n, digits) {
  if (n === null || n === undefined || n === '') return '—';
  if (typeof n !== 'number') return String(n);
  return n.toLocaleString(locale(), digits === undefined ? {} : { maximumFractionDigits: digits });
}

/** An RFC 3339 time as "YYYY-MM-DD HH:MM" (with seconds if asked) in Asia/Shanghai. */
export function formatTime(iso, { seconds = false } = {}) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const parts = cityParts(d);
  const time = `${parts.hour}:${parts.minute}${seconds ? `:${parts.second}` : ''}`;
  return `${parts.year}-${parts.month}-${parts.day} ${time}`;
}
