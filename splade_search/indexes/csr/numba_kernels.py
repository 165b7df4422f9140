"""numba kernels of the fast path (imported only through `fast.kernels`, never by the package).

Every kernel scores a document exactly as the plain scipy path does: float32 products
``stored weight x query factor`` added in query-term order, so scores are bit-identical, and hits
are ranked by score descending, then document number ascending.

- `dense_top_k`: exhaustive term-at-a-time scoring into one float32 accumulator per document,
  one range of `DOC_BLOCK` documents at a time, so the accumulator slots being added to stay in
  cache on corpora of millions of documents (each document's sum keeps query-term order).
- `maxscore_top_k`: safe dynamic pruning (MaxScore, term-at-a-time). With term upper bounds
  ``ub_t = |q_t| max|w_t|`` in decreasing order and a lower bound ``theta`` on the k-th score (exact
  scores of a few promising documents), only the *essential* terms (the prefix whose remaining
  bounds still reach ``theta``) can bring in new documents: their lists are accumulated; every
  other term is merged only against the surviving candidates, which shrink as the remaining
  bound falls. Survivors are rescored exactly. `dense_top_k` runs instead when pruning cannot
  pay: when the query's postings are too few to repay estimating ``theta`` (fewer than
  ``payback`` times the binary-search steps it takes), or when the essential lists hold more than
  ``max_essential`` of the query's postings.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_UNIT = 2.0**-24
DOC_BLOCK = 1 << 20  # documents accumulated at a time by `dense_top_k` (4 MB of float32 slots)


@njit(inline="always")
def _worse(s1, d1, s2, d2):  # type: ignore[no-untyped-def]
    """Whether hit ``(s1, d1)`` ranks below ``(s2, d2)``."""
    return s1 < s2 or (s1 == s2 and d1 > d2)


@njit(inline="always")
def _offer(hs, hd, n, k, s, d):  # type: ignore[no-untyped-def]
    """Offer hit ``(s, d)`` to the k-heap ``hs, hd`` of size ``n`` (worst hit at the root); new size."""
    if n < k:
        c = n
        while c > 0:
            p = (c - 1) >> 1
            if _worse(s, d, hs[p], hd[p]):
                hs[c], hd[c] = hs[p], hd[p]
                c = p
            else:
                break
        hs[c], hd[c] = s, d
        return n + 1
    if not _worse(hs[0], hd[0], s, d):
        return n
    c = 0
    while True:
        child = 2 * c + 1
        if child >= n:
            break
        if child + 1 < n and _worse(hs[child + 1], hd[child + 1], hs[child], hd[child]):
            child += 1
        if _worse(hs[child], hd[child], s, d):
            hs[c], hd[c] = hs[child], hd[child]
            c = child
        else:
            break
    hs[c], hd[c] = s, d
    return n


@njit(cache=True)
def _ranked(hs, hd, n):  # type: ignore[no-untyped-def]
    """The heap's hits in ranking order, as (int64 doc numbers, float32 scores)."""
    docs, scores = hd[:n].copy(), hs[:n].copy()
    for i in range(1, n):
        s, d, j = scores[i], docs[i], i
        while j > 0 and _worse(scores[j - 1], docs[j - 1], s, d):
            scores[j], docs[j] = scores[j - 1], docs[j - 1]
            j -= 1
        scores[j], docs[j] = s, d
    return docs, scores


@njit(nogil=True, cache=True)
def dense_top_k(indptr, docs, weights, terms, factors, k, acc, block=DOC_BLOCK):  # type: ignore[no-untyped-def]
    """Exhaustive top-``k`` of one query (see the module docstring).

    ``acc``: a zeroed float32 scratch array with one slot per document, left zeroed (reusing it
    keeps the accumulator warm in cache and avoids page faults on every query). ``block``: documents
    accumulated at a time (the results do not depend on it).
    """
    cursor = np.empty(len(terms), np.int64)
    for j in range(len(terms)):
        cursor[j] = indptr[terms[j]]
    hs, hd, n = np.empty(k, np.float32), np.empty(k, np.int64), 0
    for lo in range(0, len(acc), block):
        hi = min(len(acc), lo + block)
        for j in range(len(terms)):
            f, start = factors[j], cursor[j]
            cursor[j] = _first_at_least(docs, start, indptr[terms[j] + 1], hi)
            for i in range(start, cursor[j]):
                acc[docs[i]] += np.float32(weights[i]) * f
        for d in range(lo, hi):
            if acc[d] != 0:
                n = _offer(hs, hd, n, k, acc[d], d)
                acc[d] = 0
    return _ranked(hs, hd, n)


@njit(inline="always")
def _first_at_least(docs, start, end, d):  # type: ignore[no-untyped-def]
    """First position in ``docs[start:end]`` (ascending) holding a document ``>= d``, or ``end``."""
    lo, hi = start, end
    while lo < hi:
        mid = (lo + hi) >> 1
        if docs[mid] < d:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(inline="always")
def _position(docs, start, end, d):  # type: ignore[no-untyped-def]
    """Position of document ``d`` in ``docs[start:end]`` (binary search), or -1."""
    lo = _first_at_least(docs, start, end, d)
    return lo if lo < end and docs[lo] == d else -1


@njit(cache=True)
def _exact(indptr, docs, weights, terms, factors, d):  # type: ignore[no-untyped-def]
    """Score of document ``d``, summed in query-term order like the plain path."""
    s = np.float32(0)
    for j in range(len(terms)):
        i = _position(docs, indptr[terms[j]], indptr[terms[j] + 1], d)
        if i >= 0:
            s += np.float32(weights[i]) * factors[j]
    return s


@njit(cache=True)
def _top_m(values, m):  # type: ignore[no-untyped-def]
    """Positions of the ``m`` largest ``values`` (unordered)."""
    if len(values) <= m:
        return np.arange(len(values))
    hs, hd, n = np.empty(m, np.float32), np.empty(m, np.int64), 0
    for i in range(len(values)):
        n = _offer(hs, hd, n, m, np.float32(values[i]), i)
    return hd


@njit(cache=True)
def _kth_exact(indptr, docs, weights, terms, factors, candidates, k):  # type: ignore[no-untyped-def]
    """The k-th best exact score among ``candidates`` (-inf when fewer than k are hits)."""
    hs, hd, n = np.empty(k, np.float32), np.empty(k, np.int64), 0
    for d in candidates:
        s = _exact(indptr, docs, weights, terms, factors, d)
        if s != 0:
            n = _offer(hs, hd, n, k, s, d)
    return np.float64(hs[0]) if n == k else -np.inf


@njit(nogil=True, cache=True)
def maxscore_top_k(  # type: ignore[no-untyped-def]
    indptr, docs, weights, term_max, terms, factors, k, max_essential, payback, stats, acc
):
    """Exact top-``k`` of one query with MaxScore pruning (non-negative weights and factors only).

    ``stats`` receives: pruned (1) or dense (0), essential terms, postings scored, candidates kept.
    ``acc``: as in `dense_top_k`.
    """
    n_docs = len(acc)
    n = len(terms)
    bounds = np.empty(n, np.float64)
    total = 0
    for j in range(n):
        bounds[j] = abs(factors[j]) * term_max[terms[j]]
        total += indptr[terms[j] + 1] - indptr[terms[j]]
    m = max(2 * k, 16)
    if total < payback * m * n * (np.log2(n_docs + 1) + 1):
        stats[0], stats[1], stats[2], stats[3] = 0, n, total, 0
        return dense_top_k(indptr, docs, weights, terms, factors, k, acc)
    order = np.argsort(-bounds)
    suffix = np.zeros(n + 1, np.float64)
    for jj in range(n - 1, -1, -1):
        suffix[jj] = suffix[jj + 1] + bounds[order[jj]]
    slack = (4 * n + 8) * _UNIT * suffix[0]
    first = terms[order[0]]
    scan = min(indptr[first + 1] - indptr[first], max(m, total // 64))  # seeds cost ~2% of a dense pass
    seeds = docs[_top_m(weights[indptr[first] : indptr[first] + scan], m) + indptr[first]]
    theta = _kth_exact(indptr, docs, weights, terms, factors, seeds, k)
    essential, scored = 1, indptr[first + 1] - indptr[first]
    while essential < n and suffix[essential] >= theta - slack:
        t = terms[order[essential]]
        scored += indptr[t + 1] - indptr[t]
        essential += 1
    stats[1], stats[2] = essential, scored
    if scored > max_essential * total:
        stats[0], stats[2], stats[3] = 0, total, 0
        return dense_top_k(indptr, docs, weights, terms, factors, k, acc)
    for jj in range(essential):
        f, t = factors[order[jj]], terms[order[jj]]
        for i in range(indptr[t], indptr[t + 1]):
            acc[docs[i]] += np.float32(weights[i]) * f
    theta = max(theta, _kth_exact(indptr, docs, weights, terms, factors, _top_m(acc, m), k))
    candidates = _survivors(acc, np.arange(n_docs), theta - slack - suffix[essential])
    for jj in range(essential, n):
        _merge(indptr, docs, weights, terms[order[jj]], factors[order[jj]], candidates, acc)
        candidates = _survivors(acc, candidates, theta - slack - suffix[jj + 1])
    stats[0], stats[3] = 1, len(candidates)
    hs, hd, size = np.empty(k, np.float32), np.empty(k, np.int64), 0
    for d in candidates:
        s = _exact(indptr, docs, weights, terms, factors, d)
        if s != 0:
            size = _offer(hs, hd, size, k, s, d)
    for jj in range(essential):  # every touched document is in an essential list: zero them back
        t = terms[order[jj]]
        for i in range(indptr[t], indptr[t + 1]):
            acc[docs[i]] = 0
    return _ranked(hs, hd, size)


@njit(cache=True)
def _survivors(acc, candidates, limit):  # type: ignore[no-untyped-def]
    """The candidates (ascending) whose non-zero partial score reaches ``limit``."""
    kept = np.empty(len(candidates), np.int64)
    n = 0
    for d in candidates:
        if acc[d] != 0 and acc[d] >= limit:
            kept[n] = d
            n += 1
    return kept[:n]


@njit(cache=True)
def _merge(indptr, docs, weights, term, factor, candidates, acc):  # type: ignore[no-untyped-def]
    """Add ``term``'s contribution to each candidate (ascending), galloping through its list."""
    pos, end = indptr[term], indptr[term + 1]
    for d in candidates:
        step = 1
        while pos + step < end and docs[pos + step] < d:
            pos += step
            step <<= 1
        pos = _first_at_least(docs, pos, min(pos + step + 1, end), d)
        if pos >= end:
            return
        if docs[pos] == d:
            acc[d] += np.float32(weights[pos]) * factor


@njit(inline="always")
def _tiers_at_least(maxima, lo, hi, x):  # type: ignore[no-untyped-def]
    """How many of the tiers ``lo:hi`` (by decreasing maximum) have a maximum ``>= x``."""
    a, b = lo, hi
    while a < b:
        mid = (a + b) >> 1
        if np.float64(maxima[mid]) >= x:
            a = mid + 1
        else:
            b = mid
    return a - lo


@njit(cache=True)
def _prefixes(indptr, tier_indptr, tier_ends, tier_maxima, terms, factors, active, budget):  # type: ignore[no-untyped-def]
    """Per active term, its postings in the tiers that reach the threshold fitting ``budget``."""
    n = len(active)
    prefix = np.empty(n, np.int64)
    total, high = 0, 0.0
    for j in range(n):
        t = terms[active[j]]
        a, b = tier_indptr[t], tier_indptr[t + 1]
        prefix[j] = tier_ends[b - 1] - indptr[t] if b > a else 0
        total += prefix[j]
        if b > a:
            high = max(high, np.float64(tier_maxima[a]) * abs(np.float64(factors[active[j]])))
    if total <= budget:
        return prefix
    low = 0.0
    for step in range(41):
        middle = high if step == 40 else (low + high) / 2
        count = 0
        for j in range(n):
            t = terms[active[j]]
            a, b = tier_indptr[t], tier_indptr[t + 1]
            taken = _tiers_at_least(tier_maxima, a, b, middle / abs(np.float64(factors[active[j]])))
            prefix[j] = tier_ends[a + taken - 1] - indptr[t] if taken > 0 else 0
            count += prefix[j]
        if step < 40:
            if count > budget:
                low = middle
            else:
                high = middle
    return prefix


@njit(nogil=True, cache=True)
def impact_top_k(  # type: ignore[no-untyped-def]
    indptr, docs, weights, tier_indptr, tier_ends, tier_maxima, fwd_indptr, fwd_terms, fwd_weights,
    terms, factors, active, k, budget, rerank, dense, acc,
):
    """Approximate top-``k`` (see `approximate`): partial scores over impact-list tiers, exact rescoring.

    ``dense``: the query factor of every vocabulary term (0 elsewhere); ``acc``: a zeroed float32
    array per document, left zeroed. ``rerank`` < 0 rescores every candidate.
    """
    prefix = _prefixes(indptr, tier_indptr, tier_ends, tier_maxima, terms, factors, active, budget)
    touched = np.empty(prefix.sum(), np.int64)
    n_touched = 0
    for j in range(len(active)):
        t, f = terms[active[j]], factors[active[j]]
        for i in range(indptr[t], indptr[t] + prefix[j]):
            d = docs[i]
            touched[n_touched] = d
            n_touched += acc[d] == 0  # branch-free: a first visit keeps its slot
            acc[d] += np.float32(weights[i]) * f
    size = n_touched if rerank < 0 else min(rerank, n_touched)
    hs, hd, n = np.empty(max(size, 1), np.float32), np.empty(max(size, 1), np.int64), 0
    for i in range(n_touched):
        d = touched[i]
        if acc[d] != 0:
            n = _offer(hs, hd, n, size, acc[d], d)
            acc[d] = 0
    best_s, best_d, found = np.empty(k, np.float32), np.empty(k, np.int64), 0
    for c in range(n):
        d = hd[c]
        s = np.float32(0)
        for i in range(fwd_indptr[d], fwd_indptr[d + 1]):
            f = dense[fwd_terms[i]]
            if f != 0:
                s += np.float32(fwd_weights[i]) * f
        if s != 0:
            found = _offer(best_s, best_d, found, k, s, d)
    return _ranked(best_s, best_d, found)
