"""Dropped characters found by the language: a lone character that one inserted character makes a word again.

Candidates come from the segmenter's dictionary (jieba's words, the project's user dictionary, registered
names) through an index of every word with one character deleted (立德树人 is found from 德树人). The plan
itself is the evidence: the repaired phrase — the inserted character with its neighbours on both sides — must
be written intact elsewhere in the same plan (提高儿童 where the damaged text reads 提儿童), or the restored
word must be long and distinctive and written whole in the plan (儿童之家). Rivals at one site are weighed by
the plan's count of their phrase and by word frequency; a site whose winner does not clearly beat its rivals
gets a suggestion for a reviewer, not an applied edit.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from nlp.lang import cut, jieba_tokenizer, read_lines
from nlp.model import Repair
from nlp.repair_lexicon import _cfg, _cut, _deletion_index, _Plan, _reads, _standalone
from nlp.repair_lists import lost_in_slots
from nlp.repair_stops import pos_tagger

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_SPACES = " \t\u3000"


@dataclass
class _Cand:
    at: int  # offset of the insertion in the text
    char: str
    word: str
    weight: float
    in_compound: bool = False  # the lone character may belong to an unknown compound: suggest only
    evidence: bool = True  # the plan's own text supports it (its phrase written intact, or a long word whole)
    whole: int = 0  # how often the plan writes the restored word whole
    freq: int = 1  # the restored word's dictionary frequency
    # How the segmenter rates the damaged span as it stands: the log frequencies of its tokens, less log(total) per
    # extra token (jieba's unigram route; for the lone character alone its log frequency: 提 rarely stands alone,
    # 中 and 三 often do).
    rest: float = 0.0
    seen: int = 0  # the plan's count of the repaired phrase plus of the long word written whole
    window: str = ""  # the repaired context, while the check that the segmenter reads the word there is pending


@lru_cache(maxsize=16384)
def _compounds(run: str) -> dict[int, str]:
    """Offsets of the run the HMM reads as part of an unknown compound (性侵, 家校): only a long word may claim them."""
    tok, standalone = jieba_tokenizer(), _standalone()
    compound: dict[int, str] = {}
    pos = 0
    for w in cut(run):  # the cached cut find_repairs' lone-token rules read too
        # One glued to a function character (以提) is no compound: the HMM read past a lost character.
        if len(w) > 1 and not tok.FREQ.get(w) and not set(w) & standalone:
            compound.update(dict.fromkeys(range(pos, pos + len(w)), w))
        pos += len(w)
    return compound


# One insertion of a run as far as the run alone decides it (_run_sites): its offset in the run, the character, the
# restored word and its frequency, the span's `rest`, whether the offset is at the run's edge, whether the word is
# common enough to stand without the plan's evidence, the unknown compound at the lone character, the window.
_Insertion = tuple[int, str, str, int, float, bool, bool, str | None, str]


# A two-character insertion the plan never writes whole (nor, then, its repaired phrase, which holds the word): only
# a character the plan demonstrably loses can admit it (find_dropped), so it is made a _Cand only then. Most of a
# plan's insertions are of this kind (every dictionary word of a lone 提: 提防, 提案 …). Offset, character, word,
# frequency, the span's rest, the window its segmentation check needs.
_Latent = tuple[int, str, str, int, float, str]
# One site's candidates in the run's order, latent ones among them (the order breaks ties between rivals).
_Site = list[_Cand | _Latent]


def latent_cand(e: _Latent) -> _Cand:
    """The candidate a latent insertion stands for: no phrase, no word written whole, its dictionary weight."""
    at, ch, word, freq, rest, window = e
    return _Cand(at, ch, word, _cfg()["char_freq_weight"] * math.log(freq), False, False, 0, freq, rest, 0, window)


def plan_sites(text: str, plan: _Plan | None = None) -> list[_Site]:
    """Per lone-character site of the text's CJK runs, the insertions the plan's own text may support."""
    plan = plan or _Plan(text)
    return [found for m in _CJK_RUN.finditer(text) for found in _candidates(plan, m.group(), m.start())]


def _candidates(plan: _Plan, run: str, offset: int) -> list[_Site]:
    """Per lone-character site of one run, its candidate insertions: the run's own insertions weighed by the plan."""
    cfg = _cfg()
    sites = []
    for rare, insertions in _run_sites(run):
        found: _Site = []
        for at, ch, word, freq, rest, edge, common, compound, window in insertions:
            if edge and ch in _across(plan.text, offset + at):
                continue  # the character is only a space away (义 务: a PDF wrap at the run's edge), not lost
            whole = plan.count(word)
            if not whole and len(word) == 2:
                found.append((offset + at, ch, word, freq, rest, window))
                continue
            count = plan.phrase(run, at, ch)
            intact = whole if len(word) >= 3 else 0
            # A long word restored whole: written intact in the plan, or common and not claimed by digits
            # or a function character (6个月 is no 一个月, 会自救等教育 no 高等教育).
            evidence = count >= cfg["char_min_phrase"] or (len(word) >= 3 and (intact > 0 or common))
            # An unknown compound the plan writes more often than the restored word, or by itself at two places,
            # is a word of its own (性侵 beside 性侵害: both forms written, the short one may be meant; 站式 alone
            # is just broken); the site itself is one of the places it stands alone.
            alone = plan.count(compound) - intact if compound is not None else 0
            doubtful = compound is not None and intact > 0 and (intact <= alone or alone >= 2)
            # The segmentation check is costly: done now where the candidate counts (evidence, or a word the plan
            # writes whole, which the channel learns from), else only if the channel later admits it.
            if evidence or whole > 0:
                if not _reads(word, window):
                    continue  # the segmenter would not read the completed word
                window = ""
            support = cfg["char_plan_weight"] * math.log1p(count + intact)
            weight = support + cfg["char_freq_weight"] * math.log(freq)
            # A two-character word too rare for the index: the plan's phrases are no evidence against the dictionary.
            evidence = evidence and not rare
            found.append(
                _Cand(offset + at, ch, word, weight, doubtful, evidence, whole, freq, rest, count + intact, window)
            )
        if found:
            sites.append(found)
    return sites


@lru_cache(maxsize=16384)
def _run_sites(run: str) -> tuple[tuple[bool, tuple[_Insertion, ...]], ...]:
    """Per lone-character site of a run (rare or not, its insertions), as far as the run alone decides them: the
    cut, the spans, the deletion index, doubled characters and compounds are the same in every plan writing it."""
    toks, pos = [], 0
    for w in _cut(run):
        toks.append((pos, pos + len(w), w))
        pos += len(w)
    sites = []
    for i, (a, _b, w) in enumerate(toks):
        # A site is a lone character, or a two-character word too rare for the index (通量: the segmenter's only
        # reading of 高通量 with 高 lost); the latter only for a character the plan demonstrably loses (below).
        rare = len(w) == 2 and (jieba_tokenizer().FREQ.get(w) or 0) < _cfg()["char_min_freq"]
        if len(w) != 1 and not rare:
            continue
        # Spans of up to 4 characters of whole tokens around the lone one: the word may have lost any character.
        found = [
            c
            for lo in range(max(0, i - 2), i + 1)
            for hi in range(i + 1, min(len(toks), i + 3) + 1)
            if toks[hi - 1][1] - toks[lo][0] <= 4
            for c in _insertions(run, toks[lo:hi], a, w)
        ]
        # The character lost is the one that would have kept the tail apart: inserted before it (一站式; not
        # 儿童性|侵 → 性侵害, where the insertion is elsewhere and 侵 alone is the site's own business).
        found += [
            c
            for span in (() if rare else _swallowed(toks, i))
            for c in _insertions(run, span, a, w)
            if c[0] == span[0][0]
        ]
        if found:
            sites.append((rare, tuple(found)))
    return tuple(sites)


def _swallowed(toks: list[tuple[int, int, str]], i: int) -> list[list[tuple[int, int, str]]]:
    """Spans that start inside the token before lone token i, where the segmenter's longest match swallowed the
    damaged word's first character (保健站|式: the word is 一站式 after 保健, and 保健 is a word by itself)."""
    if not i or len(toks[i - 1][2]) < 3 or not jieba_tokenizer().FREQ.get(toks[i - 1][2][:-1]):
        return []
    _a, b, prev = toks[i - 1]
    tail = (b - 1, b, prev[-1])
    return [[tail, *toks[i:hi]] for hi in range(i + 1, min(len(toks), i + 2) + 1) if toks[hi - 1][1] - (b - 1) <= 4]


def _rest(span: list[tuple[int, int, str]]) -> float:
    """Log odds the segmenter gives the damaged span's own tokens (see _Cand.rest)."""
    tok = jieba_tokenizer()
    return sum(math.log(tok.FREQ.get(t) or 1) for _a, _b, t in span) - (len(span) - 1) * math.log(tok.total)


def _insertions(run: str, span: list[tuple[int, int, str]], a: int, w: str) -> list[_Insertion]:
    """The dictionary words one inserted character makes of the span's text, which holds the lone character w at a."""
    s0, s1 = span[0][0], span[-1][1]
    words = _deletion_index().get(run[s0:s1])
    if not words:  # most spans: nothing to weigh
        return []
    tok, cfg, standalone = jieba_tokenizer(), _cfg(), _standalone()
    rest, out = _rest(span), []
    for word, k in words:
        if len(word) < 3 and (w in standalone or a in _compounds(run)):
            continue
        at, ch = s0 + k, word[k]
        if ch in run[max(0, at - 1) : at + 1]:
            continue  # a doubled character (十八八大) is not lost
        freq = tok.FREQ.get(word) or 1
        common = freq >= cfg["char_long_freq"] and w not in standalone and not _digit_next(run, s0, s1)
        window = run[max(0, s0 - 4) : at] + ch + run[at : s1 + 4]
        out.append((at, ch, word, freq, rest, at == 0 or at == len(run), common, _compounds(run).get(a), window))
    return out


def _across(text: str, at: int) -> str:
    """The characters beside offset at once spaces are skipped (a PDF wrap turned into a space: 义 务教育)."""
    i, j, n = at - 1, at, len(text)
    while i >= 0 and text[i] in _SPACES:
        i -= 1
    while j < n and text[j] in _SPACES:
        j += 1
    return (text[i] if i >= 0 else "") + (text[j] if j < n else "")


def _digit_next(run: str, s0: int, s1: int) -> bool:
    """The span touches the run's edge, where digits or punctuation stand (6个月)."""
    return s0 == 0 or s1 == len(run)


def loss_rates(text: str, sites: list[_Site]) -> dict[str, float]:
    """Per character, the share of its occurrences this plan loses: a channel model learned from the text itself.

    A damaged text loses some characters systematically (a font or extraction fault: this plan loses 高 in 提高,
    高中, 高危 …). Expectation-maximisation over the lone-character sites whose candidate word the plan also writes
    whole: each site's posterior over "nothing lost" and its candidates (word frequency × the character's loss
    rate) gives the expected losses of each character, and loss = losses / (losses + intact count + a pseudo-count),
    so one site alone never makes a character look lost.
    """
    cfg = _cfg()
    written = [[c for c in site if isinstance(c, _Cand) and c.whole > 0] for site in sites]
    intact = Counter(text)
    loss: dict[str, float] = {}
    prior, none = cfg["char_loss_prior"], math.log(cfg["char_loss_none"])
    for _ in range(int(cfg["char_loss_rounds"])):
        lost: dict[str, float] = defaultdict(float)
        for found in written:
            if not found:
                continue
            ws = [math.log(c.freq) + math.log(loss.get(c.char, prior)) for c in found]
            top = max([*ws, none])
            z = sum(math.exp(v - top) for v in ws) + math.exp(none - top)
            for c, v in zip(found, ws, strict=True):
                lost[c.char] += math.exp(v - top) / z
        loss = {ch: (n + prior) / (n + intact[ch] + cfg["char_loss_pseudo"]) for ch, n in lost.items()}
    return loss


def _channel_odds(c: _Cand, loss: dict[str, float]) -> float:
    """Log odds of "the word lost a character" over "the span is right as it stands": the restored word's frequency
    × the character's loss rate against the segmenter's reading of the damaged span (提 → 提高 yes; 三 → 高三,
    中 → 高中 no: those characters stand alone far more often than the longer word is written; but 中|阶段 → 高中阶段
    yes: one known word against two, as jieba's own route model scores them)."""
    return math.log(c.freq) + math.log(loss[c.char]) - c.rest


def _margin(c: _Cand) -> float:
    """Odds the channel must beat: a long word over a span of several tokens needs a margin (等|教育 reads as two
    good words: 会自救等教育 is no 高等教育); a lone character none (a defect by itself unless it stands alone)."""
    return _cfg()["char_span_margin"] if len(c.word) > 2 else 0.0


def find_dropped(raw: str, text: str, make: Callable[..., Repair]) -> list[Repair]:
    """Applied or suggested insertions of dropped characters, one per lone-character site."""
    cfg = _cfg()
    reps: dict[tuple[int, str], Repair] = {}
    every = plan_sites(text)
    prior = cfg["char_loss_prior"]
    # The plan's channel: a character it demonstrably loses (rate >= char_loss_min) weighs in with its rate, every other
    # with the same prior (a tiny text's few sites say nothing). A lost character also hides its intact phrases (this
    # plan can write 提高儿童 whole only where 高 survived), so their count is read as count / (1 - rate).
    lost = {ch: r for ch, r in loss_rates(text, every).items() if r >= cfg["char_loss_min"]}

    def weight(c: _Cand) -> float:
        if c.char not in lost:
            return c.weight + cfg["char_loss_weight"] * math.log(prior)
        rate = lost[c.char]
        support = cfg["char_plan_weight"] * math.log1p(c.seen / (1 - rate))
        return support + cfg["char_freq_weight"] * math.log(c.freq) + cfg["char_loss_weight"] * math.log(rate)

    for rep in _lost_adjectives(raw, text, lost, make):
        reps[(rep.start, rep.after)] = rep
    for site in every:
        # A candidate needs the plan's evidence, or a character this plan demonstrably loses whose word is far more
        # frequent than the lone character standing alone (提 → 提高, not 三 → 高三).
        cands = [c if isinstance(c, _Cand) else latent_cand(c) for c in site if isinstance(c, _Cand) or c[1] in lost]
        found = [
            _Cand(c.at, c.char, c.word, weight(c), c.in_compound)
            for c in cands
            if (c.evidence or (c.char in lost and _channel_odds(c, lost) > _margin(c)))
            and (not c.window or _reads(c.word, c.window))  # the segmentation check left pending
        ]
        if found:
            best: dict[tuple[int, str], _Cand] = {}
            for c in found:
                if (c.at, c.char) not in best or best[(c.at, c.char)].weight < c.weight:
                    best[(c.at, c.char)] = c
            ranked = sorted(best.values(), key=lambda c: -c.weight)
            top = ranked[0]
            share = 1 / sum(math.exp(c.weight - top.weight) for c in ranked)
            conf = round(cfg["char_confidence"] * share * (cfg["char_compound_factor"] if top.in_compound else 1), 2)
            key = (top.at, top.char)  # one insertion reached from two lone characters is one repair
            if key not in reps or reps[key].confidence < conf:
                # A paragraph that ends in a damaged word lost its stop with it (不断提⏎ → 不断提高。⏎).
                stop = "。" if text[top.at : top.at + 1] in ("\n", "") else ""
                reps[key] = make(raw, top.at, top.at, top.char + stop, "dropped_char_lexicon", "dropped_char", conf)
    for rep in lost_in_slots(raw, text, lost, make):  # a list member short of its slot (身 → 身高); a site's own wins
        reps.setdefault((rep.start, rep.after), rep)
    return sorted(reps.values(), key=lambda r: r.start)


@lru_cache(maxsize=1)
def _degree_adverbs() -> frozenset[str]:
    """Degree adverbs (nlp/data/degree_adverbs.txt): they modify an adjective or verb, never a noun."""
    return frozenset(read_lines("degree_adverbs.txt"))


def _lost_adjectives(raw: str, text: str, lost: dict[str, float], make: Callable[..., Repair]) -> list[Repair]:
    """A degree adverb right before a noun (保持较水平) lost the adjective between them: a character this plan
    demonstrably loses fills it when it is an adjective itself (高: 较高水平); the likeliest by its loss rate."""
    tagger = pos_tagger()
    adjectives = {c: r for c, r in lost.items() if [f for _w, f in tagger.cut(c)] == ["a"]}
    if not adjectives:
        return []
    best = max(adjectives, key=adjectives.__getitem__)
    conf = round(_cfg()["char_confidence"] * adjectives[best] / sum(adjectives.values()), 2)
    adverbs, reps = _degree_adverbs(), []
    for m in _CJK_RUN.finditer(text):
        if not any(a in m.group() for a in adverbs):
            continue
        pos = m.start()
        tagged = list(tagger.cut(m.group()))
        for (w, _f), (_n, flag) in itertools.pairwise(tagged):
            pos += len(w)
            if w in adverbs and flag.startswith("n"):
                reps.append(make(raw, pos, pos, best, "dropped_char_lexicon", "dropped_char", conf))
    return reps
