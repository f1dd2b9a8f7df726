#!/usr/bin/env python3
"""Writes `en_words.txt`: the English words of Debian's American English dictionary, for telling two
capitalised words that name a product, a team or a company (`Open Source`, `Legal Counsel`, `Microsoft
Word`) from a person's name no list holds (`Boyuan Yang`, `Sylvestre Ledru`): one of the two is an
English word far more often in the first than in the second.

    apt-get install wamerican
    python3 crates/vow-pii/data/build_en_words.py > crates/vow-pii/data/en_words.txt

Source: `/usr/share/dict/american-english` of Debian's `wamerican` 2020.12.07-2, built from SCOWL
(Spell Checker Oriented Word Lists), Copyright 2000-2011 by Kevin Atkinson and the others its README
names; permission to use, copy, modify, distribute and sell is granted without fee provided the notice
appears (see README.md). Kept: the words written in small letters, three to fourteen letters a-z, and
the proper nouns it capitalises (places, brands, famous people: `Tokyo`, `Mozilla`, `Kafka`), a capital
and two to thirteen small letters; no possessives. Sorted, one per line.
"""

import re
import subprocess

version = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "wamerican"],
                         capture_output=True, text=True, check=True).stdout
assert version == "2020.12.07-2", version
with open("/usr/share/dict/american-english", encoding="utf-8") as f:
    words = sorted({w.strip() for w in f if re.fullmatch(r"[a-z]{3,14}|[A-Z][a-z]{2,13}", w.strip())})
for w in words:
    print(w)
