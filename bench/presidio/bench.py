"""Presidio vs `vow redact`: accuracy on a generated sample with ground truth, speed on a large file.

Called by run.sh. Prints a Markdown section for docs/benchmarks.md.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time


def best_of(n, fn):
    best = None
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        best = dt if best is None or dt < best else best
    return best


def load_truth(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def score(truth, spans, data):
    """Per planted kind: how many were left in the output (any letter or digit not covered by a span);
    per look-alike: how many a span touched. `spans` are byte ranges [start, end)."""
    spans = sorted(spans)
    starts = [s for s, _ in spans]
    import bisect

    left, planted, looks, touched = {}, {}, {}, {}
    for t in truth:
        s, e, label = t["start"], t["end"], t["label"]
        i = max(bisect.bisect_right(starts, s) - 1, 0)
        covered = [False] * (e - s)
        hit = False
        while i < len(spans) and spans[i][0] < e:
            a, b = spans[i]
            if b > s:
                hit = True
                for k in range(max(a, s), min(b, e)):
                    covered[k - s] = True
            i += 1
        if t["kind"] == "pii":
            planted[label] = planted.get(label, 0) + 1
            leak = any(not c and chr(data[s + k]).isalnum() for k, c in enumerate(covered) if data[s + k] < 128)
            left[label] = left.get(label, 0) + int(leak)
        else:
            looks[label] = looks.get(label, 0) + 1
            touched[label] = touched.get(label, 0) + int(hit)
    return planted, left, looks, touched


def presidio_spans(text_bytes):
    import spacy
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import SpacyNlpEngine
    from presidio_analyzer import predefined_recognizers as pr

    # The e-mail recognizer asks tldextract for the public-suffix list over the network; offline, use the
    # snapshot bundled with tldextract instead of failing and retrying.
    import tldextract
    offline = tldextract.TLDExtract(suffix_list_urls=())
    tldextract.extract = offline
    try:
        from presidio_analyzer.predefined_recognizers.generic import email_recognizer
        email_recognizer.tldextract.extract = offline
    except Exception:  # noqa: BLE001
        pass

    model_dir = "/tmp/vow-presidio-blank-xx"
    if not os.path.isdir(model_dir):
        spacy.blank("xx").to_disk(model_dir)
    nlp = SpacyNlpEngine(models=[{"lang_code": "ko", "model_name": model_dir}])
    registry = RecognizerRegistry(supported_languages=["ko"])
    # Korean recognizers ship switched off; the generic ones are added for Korean text too.
    for cls in [pr.KrRrnRecognizer, pr.KrFrnRecognizer, pr.KrBrnRecognizer, pr.KrPassportRecognizer,
                pr.KrDriverLicenseRecognizer, pr.EmailRecognizer, pr.CreditCardRecognizer, pr.IpRecognizer,
                pr.IbanRecognizer, pr.UsSsnRecognizer]:
        registry.add_recognizer(cls(supported_language="ko"))
    registry.add_recognizer(pr.PhoneRecognizer(supported_language="ko", supported_regions=("KR", "US", "GB", "JP")))
    engine = AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=["ko"])
    spans = []
    offset = 0
    for line in text_bytes.split(b"\n"):
        s = line.decode("utf-8", "replace")
        if s:
            for r in engine.analyze(text=s, language="ko"):
                a = offset + len(s[: r.start].encode("utf-8"))
                b = offset + len(s[: r.end].encode("utf-8"))
                spans.append((a, b))
        offset += len(line) + 1
    return spans


def vow_spans(vow, path):
    out = subprocess.run([vow, "scan", path, "--format", "json"], capture_output=True, check=False)
    doc = json.loads(out.stdout)
    return [(f["start"], f["end"]) for f in doc["files"][0]["findings"]]


def table(name, truth_stats):
    planted, left, looks, touched = truth_stats
    tp = sum(planted.values())
    tl = sum(left.values())
    lp = sum(looks.values())
    lt = sum(touched.values())
    return tp, tl, lp, lt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vow", required=True)
    ap.add_argument("--big", required=True)
    ap.add_argument("--sample", required=True)
    ap.add_argument("--truth", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()

    truth = load_truth(a.truth)
    data = open(a.sample, "rb").read()

    t0 = time.perf_counter()
    p_spans = presidio_spans(data)
    p_secs = time.perf_counter() - t0
    v_spans = vow_spans(a.vow, a.sample)
    p_stats = score(truth, p_spans, data)
    v_stats = score(truth, v_spans, data)

    big = os.path.getsize(a.big)
    subprocess.run(["cat", a.big], stdout=subprocess.DEVNULL, check=True)  # warm the page cache
    out = os.path.join(a.work, "big.redacted.txt")
    vow_secs = best_of(3, lambda: subprocess.run([a.vow, "redact", a.big, "-o", out, "--summary", "none"], check=True))
    rg_secs = best_of(3, lambda: subprocess.run(["rg", "-c", "[0-9]{6}-[0-9]{7}", a.big], stdout=subprocess.DEVNULL, check=True))
    p_tput = len(data) / p_secs
    v_tput = big / vow_secs

    print(f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, presidio-analyzer {pkg_version('presidio-analyzer')}.\n")
    print("| | Presidio | vow |")
    print("| --- | ---: | ---: |")
    pt, pl, plp, plt = table("presidio", p_stats)
    vt, vl, vlp, vlt = table("vow", v_stats)
    print(f"| planted values left in the output (sample, {pt}) | {pl} ({100*pl/pt:.2f}%) | {vl} ({100*vl/vt:.2f}%) |")
    print(f"| look-alikes wrongly removed (sample, {plp}) | {plt} ({100*plt/plp:.2f}%) | {vlt} ({100*vlt/vlp:.2f}%) |")
    print(f"| throughput | {p_tput/1e3:.1f} KB/s (on the {len(data)/1e6:.2f} MB sample) | {v_tput/1e6:.0f} MB/s (`vow redact`, {big/1e6:.0f} MB file) |")
    print(f"\nSpeed ratio vow / Presidio: **{v_tput/p_tput:,.0f}x** (Presidio's throughput measured on the sample and "
          f"extrapolated; it would need about {big/p_tput/3600:.1f} hours for the {big/1e6:.0f} MB file).")
    print(f"`rg -c '[0-9]{{6}}-[0-9]{{7}}'` over the same {big/1e6:.0f} MB file: {rg_secs:.2f} s; `vow redact` (all kinds, "
          f"mask, output written): {vow_secs:.2f} s, **{vow_secs/rg_secs:.1f}x** ripgrep's time.\n")
    print("Left in the output, per kind (sample):\n")
    print("| kind | planted | Presidio left | vow left |")
    print("| --- | ---: | ---: | ---: |")
    for k in sorted(p_stats[0]):
        print(f"| {k} | {p_stats[0][k]} | {p_stats[1].get(k, 0)} | {v_stats[1].get(k, 0)} |")
    print("\n| look-alike | planted | Presidio removed | vow removed |")
    print("| --- | ---: | ---: | ---: |")
    for k in sorted(p_stats[2]):
        print(f"| {k} | {p_stats[2][k]} | {p_stats[3].get(k, 0)} | {v_stats[3].get(k, 0)} |")


def pkg_version(name):
    try:
        from importlib.metadata import version
        return version(name)
    except Exception:  # noqa: BLE001
        return "?"


if __name__ == "__main__":
    sys.exit(main())
