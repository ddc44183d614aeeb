"""Generates a synthetic corpus with planted duplicates and a ground-truth file.

Takes the seed folder and gives ``<out>/docs/*.txt`` (plain layout: a title
line, a blank line, then paragraphs separated by blank lines, like the
newspaper seeds) plus ``<out>/truth.csv`` naming every written paragraph
(file, para_index, label, sources, text). Labels:

* ``unique``: a seed body paragraph, perturbed so that every sentence of it is
  new text (numbers redrawn, place names swapped, about one character in
  sixteen replaced, at least one per sentence, sentences reordered);
* ``exact``: a copy of an earlier unique paragraph (sometimes with spacing,
  full-width digits or zero-width noise that cleaning must undo);
* ``fragment``: a piece of a unique paragraph (prefix, middle or suffix, cut at
  any character), placed anywhere, also before its container;
* ``splice``: the head of one earlier unique paragraph glued to the tail of
  another;
* ``doc_copy``: every paragraph of a whole document reposted in a later file;
* ``cut_head``/``cut_tail``: a unique paragraph that page layout cut in two
  mid-sentence (cleaning should join them back; ``sources`` of the tail names
  the head).

Deterministic for a given ``--seed``. Reusable by later benchmarks: import
``make_corpus`` or run ``python bench/make_corpus.py --out DIR --mb 20``.
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tasks.clean import normalize_text  # noqa: E402
from tasks.ingest import ingest_folder  # noqa: E402
from tasks.sentences import split_sentences  # noqa: E402

PLACES = [
    "路桥", "椒江", "黄岩", "临海", "温岭", "玉环", "天台", "仙居", "三门", "瓯海", "鹿城", "龙湾",
    "乐清", "瑞安", "永嘉", "平阳", "苍南", "文成", "泰顺", "庆元", "龙泉", "遂昌", "松阳", "云和",
    "景宁", "缙云", "青田", "莲都", "柯城", "衢江", "江山", "常山", "开化", "龙游", "婺城", "金东",
    "兰溪", "义乌", "东阳", "永康", "浦江", "武义", "磐安", "越城", "柯桥", "上虞", "诸暨", "嵊州",
    "新昌", "吴兴", "南浔", "德清", "长兴", "安吉", "南湖", "秀洲", "嘉善", "海盐", "海宁", "平湖",
]
SOURCE_PLACES = ["路桥", "台州", "瓯海", "温州", "庆元", "衢州", "苏州", "宁波", "萧山", "阿克苏"]
TITLES = ["{p}区{y}年政府工作报告", "{p}县{y}年国民经济和社会发展计划", "{p}区第{n}次党代会报告摘编",
          "{p}市{y}年工作要点", "{p}区{y}年民生实事项目进展"]
_NUMBERING = re.compile(r"^\s*([一二三四五六七八九十]+、|[((][一二三四五六七八九十\d]+[))]|\d{1,2}[.、．])")
_DIGITS = re.compile(r"\d+")
_FULL_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


@dataclass
class Para:
    """One paragraph to write, with its ground truth."""

    text: str
    label: str
    uid: int  # unique-paragraph id for uniques, -1 otherwise
    sources: tuple[int, ...] = ()  # uids of the unique paragraphs it copies


def _redraw_number(m: re.Match, rng: random.Random) -> str:
    """A new number of the same length; a year ('2021年') stays a plausible year."""
    digits = m.group()
    if len(digits) == 4 and digits[:2] in ("19", "20") and m.string[m.end():m.end() + 1] == "年":
        return str(rng.randrange(2000, 2031))
    if len(digits) == 1:
        return str(rng.randrange(1, 10))
    return str(rng.randrange(10 ** (len(digits) - 1), 10 ** len(digits)))


def load_base(seeds_dir: Path) -> list[str]:
    """Returns the seed body paragraphs used as templates (numbering stripped)."""
    ing = ingest_folder(seeds_dir)
    p = ing.paragraphs
    out = []
    for text in p.loc[p["kind"] == "body", "text"]:
        text = _NUMBERING.sub("", normalize_text(text))
        if len(text) >= 40 and text[-1] in "。!?;":
            out.append(text)
    return sorted(set(out))


class Perturber:
    """Makes every sentence of a template new text, reproducibly."""

    def __init__(self, rng: random.Random, alphabet: str) -> None:
        self.rng = rng
        self.alphabet = alphabet

    def sentence(self, s: str, place: str) -> str:
        rng = self.rng
        for src in SOURCE_PLACES:
            s = s.replace(src, place)
        s = _DIGITS.sub(lambda m: _redraw_number(m, rng), s)
        chars = list(s)
        cjk = [i for i, ch in enumerate(chars) if "\u4e00" <= ch <= "\u9fff"]
        if not cjk:
            return s
        picks = {i for i in cjk if rng.random() < 1 / 16}
        picks.add(rng.choice(cjk))  # every sentence gets at least one new character
        for i in picks:
            chars[i] = rng.choice(self.alphabet)
        return "".join(chars)

    def paragraph(self, template: str, place: str) -> str:
        sents = split_sentences(template)
        if len(sents) > 2 and self.rng.random() < 0.5:
            head, rest = sents[0], sents[1:]
            self.rng.shuffle(rest)
            sents = [head] + rest
        return "".join(self.sentence(s, place) for s in sents)


def _noisy_copy(text: str, rng: random.Random) -> str:
    """An exact copy as another site would render it (cleaning undoes all of it)."""
    choice = rng.randrange(3)
    if choice == 0:
        return text.translate(_FULL_DIGITS)
    if choice == 1:
        i = rng.randrange(1, len(text))
        return text[:i] + "\u200b" + text[i:]
    return "  " + text.replace(",", ", ", 1)


def make_corpus(
    seeds_dir: Path,
    out_dir: Path,
    target_mb: float = 20.0,
    seed: int = 0,
    exact_rate: float = 0.06,
    fragment_rate: float = 0.05,
    splice_rate: float = 0.03,
    doc_copy_rate: float = 0.01,
    cut_rate: float = 0.01,
) -> dict[str, int]:
    """Writes the corpus and its truth file.

    Args:
        seeds_dir: Folder of seed files (read through ingest).
        out_dir: Output folder; gets ``docs/`` and ``truth.csv``.
        target_mb: Approximate size of the written documents in MB (UTF-8).
        seed: Random seed; same seed, same corpus.
        exact_rate: Planted exact copies per unique paragraph.
        fragment_rate: Planted fragments per unique paragraph.
        splice_rate: Planted splices per unique paragraph.
        doc_copy_rate: Whole documents reposted per document.
        cut_rate: Unique paragraphs cut in two mid-sentence, per unique paragraph.

    Returns:
        Counts per label plus files and bytes written.
    """
    rng = random.Random(seed)
    base = load_base(seeds_dir)
    alphabet = "".join(sorted({ch for t in base for ch in t if "\u4e00" <= ch <= "\u9fff"}))
    pert = Perturber(rng, alphabet)
    target = int(target_mb * 1024 * 1024)

    docs: list[tuple[str, list[Para]]] = []
    uniques: list[str] = []
    size = 0
    while size < target:
        place = rng.choice(PLACES)
        title = rng.choice(TITLES).format(p=place, y=rng.randrange(2015, 2026), n=rng.choice("一二三四五六七八九"))
        paras = []
        for _ in range(rng.randrange(12, 40)):
            text = pert.paragraph(rng.choice(base), place)
            paras.append(Para(text, "unique", len(uniques)))
            uniques.append(text)
            size += len(text.encode()) + 2
        docs.append((title, paras))
    # where each unique sits, to place copies after it
    home = {p.uid: d for d, (_, ps) in enumerate(docs) for p in ps}
    obj = {p.uid: p for _, ps in docs for p in ps}

    def place_after(uids: tuple[int, ...], para: Para) -> None:
        last = max(home[u] for u in uids)
        d = rng.randrange(last, len(docs))
        ps = docs[d][1]
        lo = 0
        if d == last:
            # after every source that sits in this document
            lo = 1 + max(i for i, q in enumerate(ps) if any(q is obj[u] for u in uids))
        ps.insert(rng.randrange(lo, len(ps) + 1), para)

    n = len(uniques)
    used: set[int] = set()  # uniques that have planted copies
    for _ in range(int(n * exact_rate)):
        u = rng.randrange(n)
        used.add(u)
        text = uniques[u] if rng.random() < 0.6 else _noisy_copy(uniques[u], rng)
        place_after((u,), Para(text, "exact", -1, (u,)))
    for _ in range(int(n * fragment_rate)):
        u = rng.randrange(n)
        used.add(u)
        src = uniques[u]
        length = rng.randrange(max(30, len(src) // 4), max(31, int(len(src) * 0.8)))
        if length >= len(src) - 4:
            continue
        start = rng.choice([0, len(src) - length, rng.randrange(0, len(src) - length)])
        frag = Para(src[start : start + length], "fragment", -1, (u,))
        if rng.random() < 0.3:
            d = rng.randrange(0, home[u] + 1)  # possibly before its container
            docs[d][1].insert(rng.randrange(0, len(docs[d][1]) + 1), frag)
        else:
            place_after((u,), frag)
    for _ in range(int(n * splice_rate)):
        u, v = rng.randrange(n), rng.randrange(n)
        a, b = uniques[u], uniques[v]
        if u == v or len(a) < 50 or len(b) < 50:
            continue
        used.update((u, v))
        cut_a = rng.randrange(25, len(a) - 20)
        cut_b = rng.randrange(20, len(b) - 25)
        place_after((u, v), Para(a[:cut_a] + b[cut_b:], "splice", -1, (u, v)))
    for _ in range(int(n * cut_rate)):
        # cut inside a sentence, between two CJK characters, as layout does
        u = rng.randrange(n)
        p = obj[u]
        spots = [i for i in range(20, len(p.text) - 20)
                 if "\u4e00" <= p.text[i - 1] <= "\u9fff" and "\u4e00" <= p.text[i] <= "\u9fff"]
        # only uniques without planted copies: a copy elsewhere would rightly
        # stop cleaning from joining the pieces (they look like copied debris)
        if p.label != "unique" or u in used or not spots:
            continue
        at = rng.choice(spots)
        ps = docs[home[u]][1]
        i = next(j for j, q in enumerate(ps) if q is p)
        head = Para(p.text[:at], "cut_head", u)
        ps[i : i + 1] = [head, Para(p.text[at:], "cut_tail", -1, (u,))]
        obj[u] = head
        p.label = "cut"  # the whole text no longer exists as one paragraph
    for _ in range(int(len(docs) * doc_copy_rate)):
        # a repost of a cut page would also be cut; keep the truth simple
        whole = [d for d, (_, ps) in enumerate(docs) if not any(p.label.startswith("cut") for p in ps)]
        d = rng.choice(whole)
        title, ps = docs[d]
        copy = [Para(p.text, "doc_copy", -1, (p.uid,) if p.uid >= 0 else p.sources) for p in ps]
        at = rng.randrange(d + 1, len(docs) + 1)
        # a repost carries its own title line, so the file is not byte-identical
        docs.insert(at, (rng.choice(["转载:", "【转】", "来源:"]) + title, copy))

    # a copied document of copies keeps pointing at the original uniques
    out_docs = out_dir / "docs"
    out_docs.mkdir(parents=True, exist_ok=True)
    for old in out_docs.glob("*.txt"):
        old.unlink()
    counts: dict[str, int] = {}
    written = 0
    uid_loc: dict[int, str] = {}
    with open(out_dir / "truth.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "para_index", "label", "sources", "text"])
        rows = []
        for d, (title, ps) in enumerate(docs):
            name = f"{d:06d}.txt"
            body = title + "\n\n" + "\n\n".join(p.text for p in ps) + "\n"
            (out_docs / name).write_text(body, encoding="utf-8")
            written += len(body.encode())
            for i, p in enumerate(ps):
                if p.label in ("unique", "cut_head"):
                    uid_loc[p.uid] = f"{name}#{i}"
                rows.append((name, i, p))
        for name, i, p in rows:
            counts[p.label] = counts.get(p.label, 0) + 1
            w.writerow([name, i, p.label, ";".join(uid_loc[s] for s in p.sources), p.text])
    counts["files"] = len(docs)
    counts["bytes"] = written
    return counts


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=Path, default=ROOT / "seeds")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--mb", type=float, default=20.0)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    counts = make_corpus(args.seeds, args.out, args.mb, args.seed)
    print(" ".join(f"{k}={v}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
