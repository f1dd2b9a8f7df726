#!/usr/bin/env python3
"""Writes `ko_hanja.txt`: every Hangul syllable that reads a Chinese character, from the Unihan
database's `kHangul` field (Unicode 15.0.0, as Debian's `unicode-data` package ships it; the Unicode
License v3). Korean surnames are, but for a few of naturalised citizens, Chinese characters' readings:
a syllable that reads none (`셀`, `탭`, `쇼`) is no surname.

    apt-get install unicode-data
    python3 crates/vow-pii/data/build_ko_hanja.py
"""

import bz2
import os

SOURCE = "/usr/share/unicode/Unihan_Readings.txt.bz2"


def main():
    readings = set()
    with bz2.open(SOURCE, "rt", encoding="utf-8") as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if len(fields) == 3 and fields[1] == "kHangul":
                readings.update(tok.split(":")[0] for tok in fields[2].split())
    syllables = sorted(r for r in readings if len(r) == 1 and "가" <= r <= "힣")
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "ko_hanja.txt"), "w", encoding="utf-8") as out:
        out.write("# Hangul syllables that read a Chinese character (Unihan kHangul, Unicode 15.0.0); build_ko_hanja.py\n")
        for i in range(0, len(syllables), 40):
            out.write("".join(syllables[i:i + 40]) + "\n")
    print(len(syllables), "syllables")


if __name__ == "__main__":
    main()
