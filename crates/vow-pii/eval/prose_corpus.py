#!/usr/bin/env python3
"""Writes a large file of prose written elsewhere, for timing `vow redact` against ripgrep (not
committed: it is rebuilt from Debian's packages and PyPI):

    apt-get install python3-doc libreoffice-help-ko debian-faq debian-faq-ko
    pip download konlpy==0.6.0 --no-deps -d /tmp/konlpy
    python3 crates/vow-pii/eval/prose_corpus.py /tmp/prose.txt 100

Half English (Python 3.11's documentation), half Korean (LibreOffice's Korean help, the Debian FAQ in
Korean, the Korean constitution and bills from konlpy's kolaw and kobill corpora, the Korean gettext
catalogues installed here); lines drawn at random (seed 7) until the file holds the MB asked for.
"""

import glob
import random
import re
import sys
import zipfile

import build_outside


def korean_lines():
    lines = build_outside.html_lines(sorted(glob.glob("/usr/share/libreoffice/help/ko/text/**/*.html",
                                                      recursive=True)))
    lines = [l for l in lines if build_outside.korean(l)]
    lines += build_outside.html_lines(sorted(glob.glob("/usr/share/doc/debian/FAQ/ko/*.ko.html")))
    with zipfile.ZipFile(glob.glob("/tmp/konlpy/konlpy-*.whl")[0]) as z:
        for name in z.namelist():
            if ("/kobill/" in name or "/kolaw/" in name) and name.endswith(".txt"):
                text = z.read(name).decode("utf-8")
                lines += [re.sub(r"\s+", " ", x).strip() for x in text.splitlines() if len(x.split()) >= 4]
    return lines


def main():
    out, mb = sys.argv[1], float(sys.argv[2])
    en = build_outside.html_lines(sorted(glob.glob("/usr/share/doc/python3.11/html/**/*.html", recursive=True)))
    ko = korean_lines()
    rng = random.Random(7)
    target = int(mb * 1_000_000)
    size = 0
    with open(out, "w", encoding="utf-8") as f:
        while size < target:
            line = rng.choice(en if rng.random() < 0.5 else ko) + "\n"
            f.write(line)
            size += len(line.encode())
    print(f"{out}: {size} bytes; {len(en)} English and {len(ko)} Korean lines to draw from")


if __name__ == "__main__":
    main()
