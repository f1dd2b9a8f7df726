#!/usr/bin/env python3
"""Builds the evaluation of names, addresses and postcodes as people really write them (issue 25).

Two splits, each from its own generator and its own surroundings:

- dev: values from Faker (faker 40.63.0, MIT, seed 101; half the Korean names from korean-name-generator
  1.0.1, MIT, added after the first run) in the frames of `DEV` below, and Korean look-alike words taken
  from the dev prose (the Debian FAQ). May be looked at and tuned on.
- held-out: values from Mimesis (mimesis 22.2.0, MIT, seed 202) in the frames of `HELD` below, and
  Korean look-alike words from Mimesis's own Korean word list. **Never tuned on**: its figures are
  reported as they come. Both frame sets were written before the first run of either.

Each row is one planted value (or look-alike, kind `~label`) and the text it sits in, with a class
(`kind/surroundings`) by which `examples/eval_external.rs` reports.

    python3 -m venv /tmp/fk && /tmp/fk/bin/pip install faker==40.63.0 mimesis==22.2.0 korean-name-generator==1.0.1
    apt-get install python3-doc libreoffice-help-ko
    pip download konlpy==0.6.0 --no-deps -d /tmp/konlpy   # kobill: Korean bills
    /tmp/fk/bin/python crates/vow-pii/eval/build_records.py

It also writes the held-out prose (`prose/*-heldout.txt`): Python's documentation (English, PSF
licence) and Korean text written elsewhere: the half of LibreOffice's Korean help that the test prose
did not take (MPL-2.0) and the bills of konlpy's kobill corpus (Korean National Assembly bills, public
works, 저작권법 제7조).
"""

import glob
import os
import random
import re
import string
import zipfile

import faker
import mimesis
from korean_name_generator import namer
from mimesis import Address, Finance, Locale, Person, Text

import build_outside

assert faker.VERSION == "40.63.0", faker.VERSION
assert mimesis.__version__ == "22.2.0", mimesis.__version__

HERE = os.path.dirname(os.path.abspath(__file__))
PER_CLASS = 200


def batchim(word):
    """Whether a Korean word ends in a consonant (받침), which picks the particle's form."""
    c = word[-1]
    return "가" <= c <= "힣" and (ord(c) - 0xAC00) % 28 != 0


def particle(rng, word, pairs):
    """A particle for `word`: pairs of (after a consonant, after a vowel); for a Latin word either."""
    a, b = rng.choice(pairs)
    if not ("가" <= word[-1] <= "힣"):
        return rng.choice([a, b])
    return a if batchim(word) else b


KO_SUBJECT = [("이", "가"), ("은", "는"), ("을", "를"), ("과", "와"), ("이랑", "랑"), ("한테", "한테"),
              ("에게", "에게"), ("의", "의"), ("도", "도"), ("께서", "께서")]


class Source:
    """The values of one generator, in one interface."""

    def __init__(self, name, seed):
        self.name = name
        self.rng = random.Random(seed)
        if name == "faker":
            self.ko = faker.Faker("ko_KR")
            self.en = faker.Faker("en_US")
            self.ko.seed_instance(seed)
            self.en.seed_instance(seed)
        else:
            self.kp = Person(Locale.KO, seed=seed)
            self.ka = Address(Locale.KO, seed=seed)
            self.kt = Text(Locale.KO, seed=seed)
            self.ep = Person(Locale.EN, seed=seed)
            self.ea = Address(Locale.EN, seed=seed)
            self.ef = Finance(Locale.EN, seed=seed)
            self.kf = Finance(Locale.KO, seed=seed)

    # Korean names: surname and given name as the generator gives them.
    def ko_parts(self):
        if self.name == "faker":
            # Half of dev's Korean names from a third generator, which builds them syllable by syllable
            # (korean-name-generator 1.0.1, MIT), so that dev does not only hold Faker's list of names.
            if self.rng.random() < 0.5:
                random.seed(self.rng.random())
                n = namer.generate(self.rng.random() < 0.5)
                return n[0], n[1:]
            return self.ko.last_name(), self.ko.first_name()
        return self.kp.last_name(), self.kp.first_name()

    def en_parts(self):
        if self.name == "faker":
            return self.en.first_name(), self.en.last_name()
        return self.ep.first_name(), self.ep.last_name()

    def en_middle(self):
        if self.rng.random() < 0.6:
            return self.rng.choice(string.ascii_uppercase) + "."
        return self.en_parts()[0]

    def ko_address(self):
        if self.name == "faker":
            v = self.rng.choice([self.ko.address, self.ko.road_address, self.ko.land_address])()
            if self.rng.random() < 0.3:
                v = f"{v} {self.ko.address_detail()}"
            return v
        state = self.ka.state()
        city = self.ka.city()
        v = f"{state} {city} {self.ka.address()}"
        if self.rng.random() < 0.3:
            fmt = self.rng.choice(["###호", "####호", "#층", "##층", "@동 ###호"])
            v += " " + "".join(self.rng.choice("123456789") if c == "#" else
                               self.rng.choice("ABC가나다") if c == "@" else c for c in fmt)
        return v

    def en_street(self):
        if self.name == "faker":
            return self.en.street_address()
        return self.ea.address()

    def en_city_state_zip(self):
        if self.name == "faker":
            return f"{self.en.city()}, {self.en.state_abbr()} {self.en.postcode()}"
        return f"{self.ea.city()}, {self.ea.state(abbr=True)} {self.ea.postal_code()}"

    def en_unit(self):
        if self.name == "faker":
            return self.en.secondary_address()
        return self.rng.choice(["Apt.", "Suite", "Apt", "Unit"]) + " " + str(self.rng.randint(1, 999))

    def en_military(self):
        if self.name == "faker":
            return self.rng.choice([self.en.military_apo, self.en.military_dpo])() + ", " + \
                f"{self.rng.choice(['APO', 'FPO', 'DPO'])} {self.en.military_state()} {self.en.postcode()}"
        unit = self.rng.choice(["PSC", "Unit", "CMR"])
        box = self.rng.randint(1000, 9999)
        kind = self.rng.choice(["APO", "FPO", "DPO"])
        return f"{unit} {self.rng.randint(1000, 9999)}, Box {box}, {kind} " \
            f"{self.rng.choice(['AA', 'AE', 'AP'])} {self.rng.randint(9000, 96999):05d}"

    def ko_postcode(self):
        if self.name == "faker":
            return self.ko.postcode()
        return self.ka.postal_code()

    def ko_old_postcode(self):
        return f"{self.rng.randint(100, 799)}-{self.rng.randint(0, 999):03d}"

    def en_zip(self):
        if self.name == "faker":
            return self.en.postcode()
        return self.ea.postal_code()

    def ko_phone(self):
        return f"010-{self.rng.randint(1000, 9999)}-{self.rng.randint(1000, 9999)}"

    def company_en(self):
        return self.en.company() if self.name == "faker" else self.ef.company()

    def company_ko(self):
        return self.ko.company() if self.name == "faker" else self.kf.company()

    def job_ko(self):
        return self.ko.job() if self.name == "faker" else self.kp.occupation()

    def city_state(self):
        if self.name == "faker":
            return f"{self.en.city()}, {self.en.state_abbr()}"
        return f"{self.ea.city()}, {self.ea.state(abbr=True)}"

    def en_word(self):
        if self.name == "faker":
            return self.en.word().capitalize()
        return Text(Locale.EN, seed=self.rng.randint(0, 1 << 30)).word().capitalize()


def dev_ko_words():
    """Korean look-alike words for dev: nouns as the dev prose writes them (particles dropped)."""
    words = set()
    with open(os.path.join(HERE, "prose", "ko-dev.txt"), encoding="utf-8") as f:
        for line in f:
            for w in re.findall(r"[가-힣]{2,4}", line):
                words.add(w)
    return sorted(words)


def held_ko_words(seed):
    import json
    path = os.path.join(os.path.dirname(mimesis.__file__), "datasets", "ko", "text.json")
    with open(path, encoding="utf-8") as f:
        words = json.load(f)["words"]
    # Nouns and the like: verbs in their dictionary form (~다) are not what sits in a cell.
    return sorted(w for w in words if not w.endswith("다") and 2 <= len(w) <= 4)


# ---- The frames. {n} a name, {a} an address, {p} a phone, {w} a look-alike word, {z} a postcode. ----
# Each class has its own list; a frame is drawn at random per value.

DEV = {
    "PERSON/ko-bare": ["{n}"],
    "PERSON/ko-csv-row": ["A-{i};{n};pending", "{i},{n},완료", "{i}\t{n}\t{d}\t배송중", "#{i} | {n} | 환불"],
    "PERSON/ko-in-en": ["thanks to {n} for the help!", "{n} will join the call at 3pm.",
                        "I talked with {n} yesterday about the invoice.", "cc {n}, can you check this?"],
    "PERSON/ko-particle": ["{n}{j} 전화했어요", "어제 {n}{j} 같이 회의했습니다", "{n}{j} 보낸 메일 확인 부탁해요",
                           "이번 건은 {n}{j} 맡기로 했어요"],
    "PERSON/ko-spaced": ["{s} {g}", "{s} {g} 드림", "작성: {s} {g}", "{s} {g}{j} 말했어요"],
    "PERSON/ko-chat": ["[10:{mm}] {n}: 네 확인했습니다", "{n}: 내일 오전에 가능해요?", "<{n}> ㅋㅋ 알겠어",
                       "{n} 님이 채팅방에 들어왔습니다"],
    "PERSON/en-bare": ["{n}"],
    "PERSON/en-csv-row": ["A-{i};{n};pending", "{i},{n},closed", "{i}\t{n}\t{d}\tshipped", "{i} | {n} | refund"],
    "PERSON/en-in-ko": ["{n}{j} 전화했어요", "어제 {n}{j} 미팅했어요", "{n}{j} 보낸 견적서 확인 부탁드려요",
                        "담당은 {n}{j} 될 거예요"],
    "PERSON/en-last-first": ["{last}, {first}", "{i},\"{last}, {first}\",active", "Owner: {last}, {first}",
                             "{last}, {first} ({d})"],
    "PERSON/en-middle": ["{first} {m} {last}{j} 연락했어요", "I met {first} {m} {last} at the office.",
                         "{first} {m} {last}", "from {first} {m} {last} on {d}"],
    "PERSON/en-chat": ["[09:{mm}] {n}: sounds good", "{n}: can you send the file?", "<{n}> brb",
                       "{n} joined the channel"],
    "PERSON/en-sentence": ["thanks to {n} for the help!", "I forwarded it to {n} this morning.",
                           "{n} approved the refund.", "Please loop in {n} before Friday."],
    "PERSON/ko-csv-table": [None],
    "PERSON/en-csv-table": [None],
    "ADDRESS/ko-csv-row": ["{i};{n};{a};{old}", "{i},{a},{p}", "{i}\t{a}\t{d}", "{old} | {a} | 배송완료"],
    "ADDRESS/ko-chat": ["{a}로 보내주세요", "주소 바뀌었어요 {a}", "[11:{mm}] {n}: {a} 여기요", "배송지 {a} 맞나요?"],
    "ADDRESS/en-csv-cell": ["{i},\"{a}\",{d}", "{i},{n},\"{a}\"", "\"{a}\"", "{i}\t{a}\t{p}"],
    "ADDRESS/en-semicolon": ["{i};{a};{d}", "{n};{a};shipped", "{a};{p}", "id={i}; addr={a}; ok"],
    "ADDRESS/en-unit": ["ship to {street} {unit}, {csz}", "{street}, {unit}, {csz}", "{street} {unit}\n{csz}",
                        "new address: {street} {unit} {csz}"],
    "ADDRESS/en-military-ko": ["{mil}로 보내 주세요", "주소는 {mil}입니다", "{mil} 으로 발송했어요", "군사우편 {mil} 확인"],
    "ADDRESS/ko-postcode-word": ["우편번호는 {z}입니다", "우편번호: {z}", "우편 번호 {z}로 되어 있어요", "우편번호 {z} 확인 부탁"],
    "ADDRESS/ko-postcode-old": ["(우){old} {a}", "우편번호 {old}", "{i};{old};{a}", "우) {old}"],
    "ADDRESS/en-zip-word": ["ZIP code: {zip}", "my zip is {zip}", "Zip: {zip}", "postal code {zip}"],
}

HELD = {
    "PERSON/ko-bare": ["{n}", " {n} "],
    "PERSON/ko-csv-row": ["{i};{n};대기", "{d},{n},{i},승인", "ORD{i}\t{n}\t처리중", "{i}|{n}|{d}"],
    "PERSON/ko-in-en": ["ask {n} about it", "Meeting notes: {n} presented the Q3 numbers.",
                        "{n} said the build is green", "ping {n} when you're free"],
    "PERSON/ko-particle": ["{n}{j} 오늘 휴가예요", "{n}{j} 드릴 서류가 있어요", "그건 {n}{j} 아는 내용이에요",
                           "내일 {n}{j} 만나기로 했어"],
    "PERSON/ko-spaced": ["{s} {g}", "{s} {g} 올림", "보고자 {s} {g}", "{s} {g}{j} 참석합니다"],
    "PERSON/ko-chat": ["{n} [오후 2:{mm}] 넵", "{n}: ㅇㅋ", "[{n}] 자료 올렸어요", "{n}님이 사진을 보냈습니다."],
    "PERSON/en-bare": ["{n}", " {n} "],
    "PERSON/en-csv-row": ["{i};{n};waiting", "{d},{n},{i},approved", "ORD{i}\t{n}\tin progress", "{i}|{n}|{d}"],
    "PERSON/en-in-ko": ["{n}{j} 오늘 출장이에요", "{n}{j} 메일 보냈어요", "이 건은 {n}{j} 확인했습니다",
                        "{n}{j} 통화 완료"],
    "PERSON/en-last-first": ["{last}, {first}", "{d};{last}, {first};{i}", "Assignee - {last}, {first}",
                             "{last}, {first}: approved"],
    "PERSON/en-middle": ["{first} {m} {last}{j} 서명했어요", "Signed, {first} {m} {last}", "{first} {m} {last}",
                         "reviewed by {first} {m} {last}"],
    "PERSON/en-chat": ["{n} [2:{mm} PM] ok", "{n}: lgtm", "[{n}] uploaded the deck", "@{n} can you take a look"],
    "PERSON/en-sentence": ["ask {n} about it", "{n} said the build is green",
                           "Meeting notes: {n} presented the Q3 numbers.", "ping {n} when you're free"],
    "PERSON/ko-csv-table": [None],
    "PERSON/en-csv-table": [None],
    "ADDRESS/ko-csv-row": ["{i}|{a}|{old}", "{n};{p};{a}", "{d}\t{i}\t{a}", "{old},{a},반송"],
    "ADDRESS/ko-chat": ["여기로 와 주세요 {a}", "{a} 에 있어요", "{n}: 택배는 {a} 로", "집 주소 {a} 입니다"],
    "ADDRESS/en-csv-cell": ["\"{a}\",{i}", "{d},\"{a}\",{p}", "{n}\t{a}", "{i},\"{a}\",pending"],
    "ADDRESS/en-semicolon": ["{a};{i}", "{d};{n};{a}", "ship:{a};qty:2", "{i};{a};{p};ok"],
    "ADDRESS/en-unit": ["{street}, {unit}\n{csz}", "deliver to {street} {unit}, {csz}", "{street} {unit} - {csz}",
                        "mail: {street}, {unit}, {csz}"],
    "ADDRESS/en-military-ko": ["선물은 {mil}로 갑니다", "{mil} 주소로 반송", "받는 곳 {mil} 맞아요?", "{mil}에 있는 친구"],
    "ADDRESS/ko-postcode-word": ["우편번호가 {z}예요", "우편번호 : {z}", "새 우편번호는 {z} 입니다", "우편번호({z})"],
    "ADDRESS/ko-postcode-old": ["[{old}] {a}", "구 우편번호 {old}", "{old};{a};{i}", "우편번호: {old}"],
    "ADDRESS/en-zip-word": ["zip code {zip}", "ZIP: {zip}", "Postal code: {zip}", "the zip is {zip}"],
}

# Look-alikes: in the same surroundings, must come through untouched. {w} is the look-alike.
DEV_LOOK = {
    "~ko-word-csv": ["A-{i};{w};pending", "{i},{w},완료", "{i}\t{w}\t{d}\t배송중"],
    "~ko-word-particle": ["{w}{j} 전화했어요", "어제 {w}{j} 같이 봤습니다", "이번 건은 {w}{j} 맡기로 했어요"],
    "~ko-word-chat": ["[10:{mm}] {w}: 네 확인했습니다", "{w}: 내일 오전에 가능해요?"],
    "~en-company": ["{w}", "Invoice from {w} attached.", "{i},\"{w}\",active", "{w}{j} 계약했어요"],
    "~en-word-csv": ["A-{i};{w};pending", "{i},{w},closed", "{i} | {w} | refund"],
    "~city-state": ["{w}", "based in {w}", "{i};{w};ok"],
    "~ko-job": ["{i};{w};pending", "직업: {w}", "{w}{j} 지원했어요"],
    "~number-word": ["주문번호 {z}", "재고 {z}개", "코드 {z} 확인", "{z}명 참석", "order {z} shipped"],
}
HELD_LOOK = {
    "~ko-word-csv": ["{i};{w};대기", "{d},{w},{i},승인", "ORD{i}\t{w}\t처리중"],
    "~ko-word-particle": ["{w}{j} 오늘 도착해요", "그건 {w}{j} 관련된 내용이에요", "{w}{j} 필요합니다"],
    "~ko-word-chat": ["[{w}] 자료 올렸어요", "{w}: ㅇㅋ"],
    "~en-company": ["{w}", "PO sent to {w} today", "{d};{w};{i}", "{w}{j} 납품 완료"],
    "~en-word-csv": ["{i};{w};waiting", "{d},{w},{i},approved", "ORD{i}\t{w}\tin progress"],
    "~city-state": ["{w}", "office in {w}", "{d},{w},{i}"],
    "~ko-job": ["{d}|{w}|{i}", "희망 직종 {w}", "{w}{j} 모집합니다"],
    "~number-word": ["송장 {z}", "사번 {z}", "{z}번 문서", "{z}원 결제", "ticket {z} closed"],
}


def fill(rng, src, frame, cls, ko_words):
    """Fills a frame; returns (text, value)."""
    lang = cls.split("/")[1][:2]
    d = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    slots = {"i": str(rng.randint(100, 99999)), "d": d, "mm": f"{rng.randint(0, 59):02d}",
             "p": src.ko_phone(), "old": src.ko_old_postcode()}
    s, g = src.ko_parts()
    first, last = src.en_parts()
    ko_name = s + g
    en_name = f"{first} {last}"
    slots["n"] = ko_name if lang == "ko" else en_name
    if cls.startswith("ADDRESS"):
        slots["n"] = ko_name if rng.random() < 0.5 else en_name
    slots.update(s=s, g=g, first=first, last=last, m=src.en_middle())
    slots["a"] = src.ko_address() if lang == "ko" else f"{src.en_street()}, {src.en_city_state_zip()}"
    slots.update(street=src.en_street(), unit=src.en_unit(), csz=src.en_city_state_zip(), mil=src.en_military(),
                 z=src.ko_postcode(), zip=src.en_zip())
    kind, where = cls.split("/")
    value = {
        "ko-spaced": f"{s} {g}",
        "en-last-first": f"{last}, {first}",
        "en-middle": f"{first} {slots['m']} {last}",
        "en-unit": None,
        "en-military-ko": slots["mil"],
        "ko-postcode-word": slots["z"],
        "ko-postcode-old": slots["old"],
        "en-zip-word": slots["zip"],
    }.get(where, slots["a"] if kind == "ADDRESS" else slots["n"])
    if where == "en-unit":
        # The whole address as the frame writes it: street, unit, city line.
        text = frame.format(**slots, j="")
        start = text.index(slots["street"])
        end = text.index(slots["csz"]) + len(slots["csz"])
        return text, text[start:end], []
    word_for_particle = value.split()[-1] if value else ""
    slots["j"] = particle(rng, word_for_particle, KO_SUBJECT) if word_for_particle else ""
    text = frame.format(**slots)
    # The other personal data the frame holds, so that finding it is not counted as false.
    extras = [(k, slots[slot]) for slot, k in [("n", "PERSON"), ("a", "ADDRESS"), ("p", "KR_PHONE"),
                                               ("old", "ADDRESS")]
              if "{" + slot + "}" in frame and slots[slot] != value]
    return text, value, extras


def table(rng, src, lang, held):
    """A small CSV/TSV table whose one column holds names; the header does not say so."""
    delim = rng.choice([",", ";", "\t", "|"] if held else [",", ";", "\t"])
    headers = (["no", "who", "status", "date"] if lang == "en" else ["번호", "담당", "상태", "일자"]) if not held \
        else (["id", "assignee", "state", "updated"] if lang == "en" else ["순번", "처리자", "진행", "수정일"])
    if rng.random() < 0.4:
        headers = None  # no header at all
    rows, names = [], []
    for _ in range(rng.randint(4, 8)):
        s, g = src.ko_parts()
        first, last = src.en_parts()
        n = s + g if lang == "ko" else f"{first} {last}"
        names.append(n)
        status = rng.choice(["pending", "done", "open"] if lang == "en" else ["대기", "완료", "진행"])
        rows.append(delim.join([str(rng.randint(1, 9999)), n, status,
                                f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"]))
    lines = ([delim.join(headers)] if headers else []) + rows
    return "\n".join(lines), names


def build(src, frames, looks, ko_words, held):
    rng = src.rng
    rows = []
    for cls, fs in frames.items():
        kind = cls.split("/")[0]
        made = 0
        while made < PER_CLASS:
            if fs == [None]:
                text, names = table(rng, src, cls.split("/")[1][:2], held)
                for n in names:
                    rows.append((kind, n, text, cls))
                made += len(names)
                continue
            text, value, extras = fill(rng, src, rng.choice(fs), cls, ko_words)
            rows.append((kind, value, text, cls))
            for k, v in extras:
                rows.append((k, v, text, "extra"))
            made += 1
    for label, fs in looks.items():
        for _ in range(PER_CLASS):
            frame = rng.choice(fs)
            if label in ("~ko-word-csv", "~ko-word-particle", "~ko-word-chat"):
                w = rng.choice(ko_words)
            elif label == "~en-company":
                w = src.company_en()
            elif label == "~en-word-csv":
                w = src.en_word()
            elif label == "~city-state":
                w = src.city_state()
            elif label == "~ko-job":
                w = src.job_ko()
            else:
                w = f"{rng.randint(10000, 99999)}"
            slots = {"i": str(rng.randint(100, 99999)), "d": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                     "mm": f"{rng.randint(0, 59):02d}", "w": w, "z": w,
                     "j": particle(rng, w.split()[-1], KO_SUBJECT)}
            text = frame.format(**slots)
            rows.append((label, w, text, label))
    return rows


def write(name, rows):
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as out:
        out.write("# kind (~label: a look-alike that must stay)\tvalue\ttext (\\n: a line break)\tclass\n")
        for kind, v, text, cls in rows:
            out.write(f"{kind}\t{build_outside.escape(v)}\t{build_outside.escape(text)}\t{cls}\n")


def heldout_prose():
    lines = build_outside.html_lines(sorted(glob.glob("/usr/share/doc/python3.11/html/**/*.html",
                                                      recursive=True))[::3])
    build_outside.write_prose("en-heldout.txt", build_outside.take(lines, 60000),
                              "Python 3.11 documentation (python3-doc), PSF licence")
    lo = sorted(glob.glob("/usr/share/libreoffice/help/ko/text/**/*.html", recursive=True))
    ko = build_outside.take(build_outside.html_lines(lo[1::2]), 40000, build_outside.korean)
    with zipfile.ZipFile(glob.glob("/tmp/konlpy/konlpy-*.whl")[0]) as z:
        for name in sorted(z.namelist()):
            if "/kobill/" in name and name.endswith(".txt"):
                text = z.read(name).decode("utf-8")
                ko += [re.sub(r"\s+", " ", x).strip() for x in text.splitlines() if len(x.split()) >= 4]
    build_outside.write_prose("ko-heldout.txt", ko,
                              "LibreOffice help, Korean, the other half (libreoffice-help-ko), MPL-2.0; "
                              "konlpy kobill corpus (Korean bills), public works")


def dev_prose():
    """More dev prose: the Korean translations installed with Debian's packages (gettext catalogues,
    each under its package's licence) and their English originals."""
    import gettext
    ko, en = [], []
    for path in sorted(glob.glob("/usr/share/locale/ko/LC_MESSAGES/*.mo")):
        if os.path.basename(path).startswith("iso_"):
            continue  # country and script names, not prose
        with open(path, "rb") as f:
            try:
                catalog = gettext.GNUTranslations(f)._catalog
            except Exception:
                continue
        for msgid, msgstr in catalog.items():
            if not isinstance(msgid, str) or not msgid or not isinstance(msgstr, str):
                continue
            for line in msgstr.splitlines():
                line = re.sub(r"\s+", " ", line).strip()
                if len(line.split()) >= 4 and re.search("[가-힣]", line):
                    ko.append(line)
            for line in msgid.splitlines():
                line = re.sub(r"\s+", " ", line).strip()
                if len(line.split()) >= 4:
                    en.append(line)
    build_outside.write_prose("ko-dev2.txt", build_outside.take(ko, 60000),
                              "Korean gettext catalogues of Debian packages (/usr/share/locale/ko), each package's licence")
    build_outside.write_prose("en-dev2.txt", build_outside.take(en, 60000),
                              "the English originals of the same catalogues")


def main():
    write("records-dev.tsv", build(Source("faker", 101), DEV, DEV_LOOK, dev_ko_words(), False))
    write("records-heldout.tsv", build(Source("mimesis", 202), HELD, HELD_LOOK, held_ko_words(202), True))
    heldout_prose()
    dev_prose()


if __name__ == "__main__":
    main()
