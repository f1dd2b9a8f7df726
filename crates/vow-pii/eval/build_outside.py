#!/usr/bin/env python3
"""Builds the outside evaluation sets of vow-pii from material written outside this project.

Values and their formats come from Faker's ko_KR, en_US and European providers (MIT, pinned below);
ordinary prose comes from Debian's packaged documentation and the Korean constitution. The sentence
frames around the values are this project's, fixed before the first run and never changed after it.

    python3 -m venv /tmp/fk && /tmp/fk/bin/pip install faker==40.63.0
    apt-get install debian-faq debian-faq-ko libreoffice-help-ko libreoffice-help-en-us
    pip download konlpy==0.6.0 --no-deps -d /tmp/konlpy   # for the constitution (kolaw)
    /tmp/fk/bin/python crates/vow-pii/eval/build_outside.py

Two splits, from different Faker seeds and different documents:
- dev  (seed 1; the Debian FAQ): may be looked at and tuned on.
- test (seed 2; LibreOffice help and the constitution): never looked at for tuning. Its figures are
  reported as they come.
"""

import glob
import gzip
import html.parser
import os
import random
import re
import zipfile

import faker

assert faker.VERSION == "40.63.0", faker.VERSION

HERE = os.path.dirname(os.path.abspath(__file__))
PER_KIND = 300

# Frames: {v} is the value; {label} a word naming its kind in the frame's language. A frame without
# {label} gives the value no context word.
KO_FRAMES = [
    "{label}: {v}",
    "{label}는 {v} 입니다.",
    "고객님 {label} {v} 로 확인되었습니다",
    "문의하신 건은 {v} 기준으로 처리했습니다.",
    "{v}",
    "변경 전 {label}({v})은 삭제되었습니다.",
]
EN_FRAMES = [
    "{label}: {v}",
    "My {label} is {v}, please update it.",
    "We could not verify {v} against our records.",
    "{v}",
    "Please send it to {v} by Friday.",
    "Old {label} ({v}) removed from the account.",
]
KO_NAME_FRAMES = [
    "{v} 고객님, 주문이 접수되었습니다.",
    "담당자 {v} 입니다.",
    "성명: {v}",
    "{v}님이 문의를 남기셨습니다.",
    "안녕하세요, {v}입니다. 환불 요청드립니다.",
    "보낸 사람: {v}",
]
EN_NAME_FRAMES = [
    "Dear {v},",
    "Name: {v}",
    "{v} wrote: can you check my order?",
    "Please contact {v} for the details.",
    "Regards,\n{v}",
    "The ticket was assigned to {v} yesterday.",
]
KO_LABELS = {
    "ADDRESS": "주소",
    "KR_PHONE": "연락처",
    "KR_RRN": "주민등록번호",
    "EMAIL": "이메일",
    "CREDIT_CARD": "카드번호",
    "IBAN": "IBAN",
    "IP_ADDRESS": "접속 IP",
    "KR_PASSPORT": "여권번호",
}
EN_LABELS = {
    "ADDRESS": "address",
    "PHONE": "phone",
    "US_SSN": "SSN",
    "EMAIL": "email",
    "CREDIT_CARD": "card number",
    "IBAN": "IBAN",
    "IP_ADDRESS": "IP address",
}
IBAN_LOCALES = ["de_DE", "fr_FR", "nl_NL", "es_ES", "it_IT", "pl_PL", "en_GB", "pt_PT", "fi_FI", "no_NO"]
CARD_TYPES = ["visa16", "visa13", "visa19", "mastercard", "amex", "discover", "jcb15", "jcb16",
              "diners", "maestro"]


def escape(s):
    return s.replace("\\", "\\\\").replace("\t", " ").replace("\n", "\\n")


def frame(rng, frames, labels, kind, v):
    f = rng.choice(frames)
    return f.format(v=v, label=labels.get(kind, ""))


def values(seed):
    ko = faker.Faker("ko_KR")
    en = faker.Faker("en_US")
    ko.seed_instance(seed)
    en.seed_instance(seed)
    eu = {loc: faker.Faker(loc) for loc in IBAN_LOCALES}
    for i, f in enumerate(eu.values()):
        f.seed_instance(seed * 100 + i)
    rng = random.Random(seed)
    rows = []

    def add(kind, v, text, source):
        rows.append((kind, v, text, source))

    for _ in range(PER_KIND):
        v = ko.name()
        add("PERSON", v, rng.choice(KO_NAME_FRAMES).format(v=v), "faker-ko_KR.name")
        v = en.name()
        add("PERSON", v, rng.choice(EN_NAME_FRAMES).format(v=v), "faker-en_US.name")
        v = rng.choice([ko.address, ko.road_address, ko.land_address])()
        if rng.random() < 0.3:
            v = f"{v} {ko.address_detail()}"
        add("ADDRESS", v, frame(rng, KO_FRAMES, KO_LABELS, "ADDRESS", v), "faker-ko_KR.address")
        v = en.address()
        if rng.random() < 0.5:
            v = v.replace("\n", ", ")
        add("ADDRESS", v, frame(rng, EN_FRAMES, EN_LABELS, "ADDRESS", v), "faker-en_US.address")
        v = ko.phone_number()
        add("KR_PHONE", v, frame(rng, KO_FRAMES, KO_LABELS, "KR_PHONE", v), "faker-ko_KR.phone_number")
        v = en.phone_number()
        add("PHONE", v, frame(rng, EN_FRAMES, EN_LABELS, "PHONE", v), "faker-en_US.phone_number")
        v = ko.ssn()
        add("KR_RRN", v, frame(rng, KO_FRAMES, KO_LABELS, "KR_RRN", v), "faker-ko_KR.ssn")
        v = en.ssn()
        add("US_SSN", v, frame(rng, EN_FRAMES, EN_LABELS, "US_SSN", v), "faker-en_US.ssn")
        v = rng.choice([ko.email, ko.free_email, ko.company_email])()
        add("EMAIL", v, frame(rng, KO_FRAMES, KO_LABELS, "EMAIL", v), "faker-ko_KR.email")
        v = rng.choice([en.email, en.free_email, en.company_email])()
        add("EMAIL", v, frame(rng, EN_FRAMES, EN_LABELS, "EMAIL", v), "faker-en_US.email")
        v = en.credit_card_number(card_type=rng.choice(CARD_TYPES))
        frames, labels = rng.choice([(KO_FRAMES, KO_LABELS), (EN_FRAMES, EN_LABELS)])
        add("CREDIT_CARD", v, frame(rng, frames, labels, "CREDIT_CARD", v), "faker.credit_card_number")
        v = eu[rng.choice(IBAN_LOCALES)].iban()
        add("IBAN", v, frame(rng, frames, labels, "IBAN", v), "faker.iban")
        v = rng.choice([en.ipv4, en.ipv4_private, en.ipv4_public, en.ipv6])()
        add("IP_ADDRESS", v, frame(rng, frames, labels, "IP_ADDRESS", v), "faker.ipv4/ipv6")
        # Several values in one message, as support chats hold them.
        n, p, a = ko.name(), ko.phone_number(), ko.address()
        add("PERSON", n, f"{n} 고객님 ({p}) 배송지 {a} 로 재발송 부탁드립니다", "faker-ko_KR.mixed")
        rows.append(("KR_PHONE", p, rows[-1][2], "faker-ko_KR.mixed"))
        rows.append(("ADDRESS", a, rows[-1][2], "faker-ko_KR.mixed"))
        n, e, p = en.name(), en.free_email(), en.phone_number()
        t = f"Customer {n} <{e}> called from {p} about the refund."
        add("PERSON", n, t, "faker-en_US.mixed")
        add("EMAIL", e, t, "faker-en_US.mixed")
        add("PHONE", p, t, "faker-en_US.mixed")
        # Look-alikes: must come through untouched.
        for label, v in [
            ("~date", en.date()),
            ("~time", en.time()),
            ("~ean13", en.ean13()),
            ("~ean13-kr", en.ean13(prefixes=("880",))),
            ("~isbn13", en.isbn13()),
            ("~license-plate-kr", ko.license_plate()),
            ("~company-kr", ko.company()),
            ("~job-kr", ko.job()),
            ("~uuid", en.uuid4()),
            ("~sha1", en.sha1()),
            ("~price", en.pricetag()),
            ("~postcode-us", en.postcode()),
        ]:
            frames = KO_FRAMES if label.endswith("-kr") else EN_FRAMES
            f = rng.choice([x for x in frames if "{label}" not in x])
            add(label, v, f.format(v=v), "faker." + label[1:])
    return rows


def write_values(name, rows):
    path = os.path.join(HERE, name)
    with open(path, "w", encoding="utf-8") as out:
        out.write("# kind (~label: a look-alike that must stay)\tvalue\ttext (\\n: a line break)\tsource\n")
        for kind, v, text, source in rows:
            out.write(f"{kind}\t{escape(v)}\t{escape(text)}\t{source}\n")


class Text(html.parser.HTMLParser):
    SKIP = {"script", "style", "head", "pre", "code", "tt", "kbd", "samp"}
    BLOCK = {"p", "li", "dd", "dt", "h1", "h2", "h3", "h4", "td", "div", "br", "title"}

    def __init__(self):
        super().__init__()
        self.lines, self.cur, self.skip = [], [], 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skip += 1
        if tag in self.BLOCK:
            self.flush()

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skip:
            self.skip -= 1
        if tag in self.BLOCK:
            self.flush()

    def handle_data(self, data):
        if not self.skip:
            self.cur.append(data)

    def flush(self):
        line = re.sub(r"\s+", " ", "".join(self.cur)).strip()
        if len(line.split()) >= 4:
            self.lines.append(line)
        self.cur = []


def html_lines(paths):
    lines = []
    for path in paths:
        p = Text()
        with open(path, encoding="utf-8", errors="replace") as f:
            p.feed(f.read())
        p.flush()
        lines.extend(p.lines)
    return lines


def korean(line):
    # LibreOffice's Korean help leaves many pages in English; only Korean sentences count as Korean prose.
    return len(re.findall("[가-힣]", line)) >= 0.3 * len(re.findall(r"\w", line))


def take(lines, words, keep=lambda line: True):
    out, n, seen = [], 0, set()
    for line in lines:
        if line in seen or not keep(line):
            continue
        seen.add(line)
        out.append(line)
        n += len(line.split())
        if n >= words:
            break
    return out


def write_prose(name, lines, source):
    with open(os.path.join(HERE, "prose", name), "w", encoding="utf-8") as out:
        out.write(f"# {source}\n")
        for line in lines:
            out.write(line + "\n")


def main():
    write_values("outside-dev.tsv", values(1))
    write_values("outside-test.tsv", values(2))
    os.makedirs(os.path.join(HERE, "prose"), exist_ok=True)
    faq = "/usr/share/doc/debian/FAQ"
    write_prose("ko-dev.txt", take(html_lines(sorted(glob.glob(f"{faq}/ko/*.ko.html"))), 30000, korean),
                "Debian FAQ, Korean (debian-faq-ko), GPL-2+")
    write_prose("en-dev.txt", take(html_lines(sorted(glob.glob(f"{faq}/*.en.html"))), 30000),
                "Debian FAQ, English (debian-faq), GPL-2+")
    lo = "/usr/share/libreoffice/help"
    for lang, tag in [("ko", "ko"), ("en-US", "en")]:
        files = sorted(glob.glob(f"{lo}/{lang}/text/**/*.html", recursive=True))
        lines = take(html_lines(files[::2] if lang == "ko" else files[::7]), 45000,
                     korean if lang == "ko" else (lambda line: True))
        if lang == "ko":
            with zipfile.ZipFile(glob.glob("/tmp/konlpy/konlpy-*.whl")[0]) as z:
                law = z.read("konlpy/data/corpus/kolaw/constitution.txt").decode("utf-8")
            lines += [re.sub(r"\s+", " ", x).strip() for x in law.splitlines() if len(x.split()) >= 4]
        write_prose(f"{tag}-test.txt", lines,
                    "LibreOffice help (libreoffice-help-*), MPL-2.0"
                    + ("; 대한민국헌법 (konlpy kolaw corpus), public domain" if lang == "ko" else ""))


if __name__ == "__main__":
    main()
