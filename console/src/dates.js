// Calendar dates ('YYYY-MM-DD') for report periods. The city's day is Asia/Shanghai's, whatever
// the browser's time zone, as the hub's reports count days.

export const CITY_TIME_ZONE = 'Asia/Shanghai';
// Asia/Shanghai is UTC+8 all year (no daylight saving since 1991). Dates and times are computed
// from this offset, not formatted by Intl with a locale: which locales and time zones a runtime
// carries differs (Debian's Node.js with the system ICU formats 'en-CA' as 11/28/2026), and the
// console must write the same day everywhere.
export const CITY_UTC_OFFSET_MINUTES = 8 * 60;

const pad = (n) => String(n).padStart(2, '0');
const ymd = (d) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
const parse = (s) => {
  const [y, m, d] = s.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d));
};

/** The wall-clock fields of `instant` in the city: {year, month, day, hour, minute, second}. */
export function cityParts(instant) {
  const d = new Date(instant.getTime() + CITY_UTC_OFFSET_MINUTES * 60 * 1000);
  return {
    year: String(d.getUTCFullYear()).padStart(4, '0'),
    month: pad(d.getUTCMonth() + 1),
    day: pad(d.getUTCDate()),
    hour: pad(d.getUTCHours()),
    minute: pad(d.getUTCMinutes()),
    second: pad(d.getUTCSeconds()),
  };
}

/** Today in the city. */
export function cityToday(now = new Date()) {
  const p = cityParts(now);
  return `${p.year}-${p.month}-${p.day}`;
}

export function isDate(s) {
  return typeof s === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(s) && ymd(parse(s)) === s;
}

export function addDays(day, n) {
  const d = parse(day);
  d.setUTCDate(d.getUTCDate() + n);
  return ymd(d);
}

function monthOf(year, month) {
  // Date.UTC normalises month -1 and 12 into the neighbouring years.
  return { from: ymd(new Date(Date.UTC(year, month, 1))), to: ymd(new Date(Date.UTC(year, month + 1, 0))) };
}

/** The calendar month holding `day`, first to last day. */
export function thisMonth(day) {
  const d = parse(day);
  return monthOf(d.getUTCFullYear(), d.getUTCMonth());
}

export function lastMonth(day) {
  const d = parse(day);
  return monthOf(d.getUTCFullYear(), d.getUTCMonth() - 1);
}

export function thisQuarter(day) {
  const d = parse(day);
  const first = d.getUTCMonth() - (d.getUTCMonth() % 3);
  return {
    from: ymd(new Date(Date.UTC(d.getUTCFullYear(), first, 1))),
    to: ymd(new Date(Date.UTC(d.getUTCFullYear(), first + 3, 0))),
  };
}

/** The `n` days ending with `day`, both included. */
export function lastDays(day, n) {
  return { from: addDays(day, -(n - 1)), to: day };
}

/** Every day from `from` to `to`, both included. */
export function daysBetween(from, to) {
  const out = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}

/** The city's date of an RFC 3339 time ('' when it is not one). */
export function cityDate(iso) {
  const d = new Date(iso ?? '');
  return Number.isNaN(d.getTime()) ? '' : cityToday(d);
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysFrom(from, to) {
  return Math.round((parse(to) - parse(from)) / 86_400_000);
}

/**
 * The end a grant's renewal proposes: a year after its current end, but within `maxDays` of
 * today (the hub's sharing.max_valid_days, 366 unless configured; a date means the end of that
 * day, so one day less), and never before the day after the current end.
 */
export function renewalEnd(validUntilIso, today, maxDays = 366) {
  const current = cityDate(validUntilIso) || today;
  const wanted = addDays(current, 365);
  const limit = addDays(today, maxDays - 1);
  const end = wanted < limit ? wanted : limit;
  return end > current ? end : addDays(current, 1);
}
