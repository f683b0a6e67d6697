"""Benchmarks: timed runs with provenance, STREAM bandwidth, roofline and scaling.

``parnft bench`` (parnft/commands/bench.py) runs configs on the ranks of its job
and appends one CSV row per run (:mod:`.runner`, :mod:`.provenance`); strong and
weak series are launched by :mod:`.series`. :mod:`.stream`, :mod:`.roofline`,
:mod:`.pingpong` and :mod:`.model` measure the machine limits and project
scaling; :mod:`.plot` draws the figures.
"""
