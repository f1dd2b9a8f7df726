#!/usr/bin/env python3
"""Builds an evaluation of real people's names as they sign their work (issue 25): the names in the
copyright notices of the Debian packages installed on this machine (`/usr/share/doc/*/copyright`,
`2010 Jane Doe <jane@example.org>`), from many countries, none chosen by a name generator.

The output is **not committed**: these are real people's names, published with their work but no
business of this repository. Each machine rebuilds it from its own packages, so the figures depend on
what is installed (report the count with them). The names are shuffled (seed 404) and halved into a dev
half and a test half never tuned on, each name planted once in a class taken in turn. The surroundings
(`FRAMES`) were written for this set on 2026-12-07, before its first run.

    python3 crates/vow-pii/eval/build_real_names.py /tmp/real-names
    cargo run -p vow-pii --release --example eval_external -- \\
        /tmp/real-names/names-real-dev.tsv /tmp/real-names/names-real-test.tsv
"""

import glob
import os
import random
import re
import sys

# {v}: the name as signed; {last_first}: `Last, First` (the value is then that form); {i}, {d}: an id
# and a date.
FRAMES = {
    "PERSON/real-bare": ["{v}"],
    "PERSON/real-csv": ["{i},{v},pending", "{d};{v};shipped", "{i}\t{v}\t{d}"],
    "PERSON/real-chat": ["thanks to {v} for the help!", "cc {v}, can you check this?", "{v}: see you at 3"],
    "PERSON/real-sentence": ["I talked with {v} yesterday about the invoice.", "The report was written by {v}.",
                             "Yesterday {v} called about the refund."],
    "PERSON/real-last-first": ["{last_first}", "{i},\"{last_first}\",active"],
    "PERSON/real-in-ko": ["{v}님이 보낸 메일 확인 부탁해요", "어제 {v}와 통화했어요", "담당자는 {v}입니다"],
}

NAME = re.compile(r"(?:\d{4}[-,0-9 ]*)\s+((?:[A-Z][a-zà-ÿ'\-]+\.? ){1,2}[A-Z][a-zà-ÿ'\-]+)\s*<[^>@\s]+@")


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    names = set()
    for path in glob.glob("/usr/share/doc/*/copyright"):
        try:
            text = open(path, encoding="utf-8").read()
        except (UnicodeDecodeError, OSError):
            continue
        for m in NAME.finditer(text):
            name = m.group(1)
            if not name.startswith(("Dr.", "Copyright", "The ", "Free ")):
                names.add(name)
    names = sorted(names)
    rng = random.Random(404)
    rng.shuffle(names)
    half = len(names) // 2
    classes = sorted(FRAMES)
    for split, part in (("names-real-dev.tsv", names[:half]), ("names-real-test.tsv", names[half:])):
        rows = ["# kind\tvalue\ttext (\\n: a line break)\tclass"]
        for n, name in enumerate(part):
            cls = classes[n % len(classes)]
            frame = rng.choice(FRAMES[cls])
            *first, last = name.split(" ")
            last_first = f"{last}, {' '.join(first)}"
            value = last_first if "{last_first}" in frame else name
            text = frame.format(v=name, last_first=last_first, i=rng.randint(1000, 99999),
                                d=f"2026-{rng.randint(1, 12):02}-{rng.randint(1, 28):02}")
            esc = lambda s: s.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
            rows.append(f"PERSON\t{esc(value)}\t{esc(text)}\t{cls}")
        with open(os.path.join(out, split), "w") as f:
            f.write("\n".join(rows) + "\n")
        print(os.path.join(out, split), len(rows) - 1)


if __name__ == "__main__":
    main()
