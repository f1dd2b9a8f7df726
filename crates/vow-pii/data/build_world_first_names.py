#!/usr/bin/env python3
"""Writes `world_first_names.txt`: first names of many countries in the Latin alphabet, for the English
name recognizer (the census lists in `en_first_names.txt` are American; a real signer list is full of
Arun, Sylvain, Matthias, Andrey and Naoya).

    python3 -m venv /tmp/fk && /tmp/fk/bin/pip install faker==40.63.0
    apt-get install wamerican
    /tmp/fk/bin/python crates/vow-pii/data/build_world_first_names.py > crates/vow-pii/data/world_first_names.txt

Source: the person providers of Faker 40.63.0 (MIT, Copyright (c) 2012 Daniele Faraglia; see README.md):
every locale whose first names are written in the Latin alphabet, except en_US (the values of the
evaluation's dev set), plus the romanised first names of ja_JP and zh_CN and the Russian and Ukrainian
first names transliterated (`Андрей` → Andrey; a final `-iy` also as `-y`: Evgeniy, Evgeny).

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
    # Ukrainian letters
    "і": "i", "ї": "yi", "є": "ye", "ґ": "g",
}


def names_of(provider, attrs):
    out = []
    for attr in attrs:
        value = getattr(provider, attr, None)
        if value and not isinstance(value, property):
            out.extend(value.keys() if isinstance(value, dict) else value)
    return out


def fold(name):
    return "".join(
        c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)
    ).replace("ß", "ss").replace("ł", "l").replace("Ł", "L").replace("ø", "o").replace("đ", "d")


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


def main():
    with open("/usr/share/dict/american-english", encoding="utf-8") as f:
        words = {w.strip().lower() for w in f if w.strip() and w.strip()[0].islower()}
    plain = ("first_names", "first_names_male", "first_names_female")
    romanised = ("first_romanized_names", "first_romanized_names_male", "first_romanized_names_female")
    found = set()
    for module in pkgutil.iter_modules(person.__path__):
        locale = module.name
        if locale == "en_US":
            continue
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        if locale in ("ru_RU", "uk_UA"):
            for name in names_of(provider, plain):
                found.update(transliterate(name))
            continue
        attrs = romanised if locale in ("ja_JP", "zh_CN") else plain
        for name in names_of(provider, attrs):
            if latin_word(name):
                found.add(name)
    kept = set()
    for name in found:
        if not latin_word(name) or fold(name).lower() in words:
            continue
        kept.add(name)
        folded = fold(name)
        if folded != name and folded.isascii() and latin_word(folded):
            kept.add(folded)
    for name in sorted(kept):
        print(name)
    print(f"{len(kept)} names", file=sys.stderr)


if __name__ == "__main__":
    main()
