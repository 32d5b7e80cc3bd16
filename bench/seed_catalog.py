#!/usr/bin/env python3
"""Registers and publishes N catalog resources through the hub's API (keep-alive, a few threads),
with realistic Chinese names and summaries, so that search runs over a catalog of that size.
Talks to 127.0.0.1 only. Usage: seed_catalog.py PORT TOKEN COUNT"""
import http.client
import json
import random
import ssl
import sys
import threading

port, token, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
PROVIDERS = [l.split(",")[0] for l in open(sys.argv[4] if len(sys.argv) > 4 else "demo/agencies.csv",
                                          encoding="utf-8").read().splitlines()[1:]]
SUBJECTS = ["企业", "个体工商户", "社会组织", "居民", "学校", "医疗机构", "建设项目", "道路", "车辆",
            "房屋", "土地", "河道", "公园", "养老机构", "药品", "食品", "特种设备", "排污单位"]
TOPICS = ["登记信息", "营业执照", "许可证", "年报信息", "信用评价", "行政处罚", "监督检查", "缴费记录",
          "用电量", "用水量", "统计指标", "补贴发放", "投诉举报", "备案信息", "资质认定", "变更记录"]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
lock = threading.Lock()
made = [0]


def worker(n):
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=30)
    headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
    rnd = random.Random(n)
    for i in range(n):
        subject, topic = rnd.choice(SUBJECTS), rnd.choice(TOPICS)
        doc = {
            "name": f"{subject}{topic}（{i:05d}）",
            "summary": f"本市{subject}的{topic}，按{rnd.choice(['日', '月', '季度'])}更新，用于政务服务和监管。",
            "provider_code": rnd.choice(PROVIDERS), "category": rnd.choice(["basic", "theme", "department"]),
            "format": "数据库", "key": "id",
            "items": [{"name": "id", "title": "编号", "type": "string", "required": True,
                       "sensitivity": "public"},
                      {"name": "name", "title": "名称", "type": "string", "required": True,
                       "sensitivity": "public"}],
            "share_type": rnd.choice(["unconditional", "conditional"]), "legal_basis": "《政务数据资源共享管理办法》",
            "share_methods": ["api"], "update_cycle": "daily"}
        conn.request("POST", "/api/v1/resources", json.dumps(doc, ensure_ascii=False).encode(), headers)
        r = conn.getresponse()
        body = json.loads(r.read())
        if r.status != 201:
            raise SystemExit(f"create failed: {r.status} {body}")
        conn.request("POST", f"/api/v1/resources/{body['code']}/publish", b"", headers)
        r = conn.getresponse()
        r.read()
        with lock:
            made[0] += 1


threads = [threading.Thread(target=worker, args=(count // 4 + (1 if k < count % 4 else 0),)) for k in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(made[0])
