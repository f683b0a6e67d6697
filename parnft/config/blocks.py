"""Interpret the keys of a ``.conf`` body into a tree of blocks.

A block is opened by an opener key (``Population 3:``, ``Firing:``,
``Stimulus:``, ``Dendrite 4:``, ``Propagator 1:``, ``Coupling 1:``,
``Connection matrix:``, ``Output:``) and holds the value keys that follow it,
in any order. A key is looked up in the innermost open block first, then in
the blocks around it (so ``Length:`` after ``Firing: ...`` still belongs to the
population, and ``Propagator 1:`` closes the population). A key that no open
block knows is an error naming the nearest known key, unless the innermost
block has an unknown kind (its keys cannot be judged, so they are skipped).

The tree is::

    root (Time, Deltat, Nodes, Longside nodes, Topology, Bath)
      matrix (From, To k)
      population k (Length, Q)
        firing (Function and parameters)
        stimulus (mode keys) | superimpose -> stimulus parts
        dendrite j
      propagator j, coupling j
      output (Node, Start, Interval, Population, Dendrite, Propagator, Coupling)
"""

from __future__ import annotations

import difflib
import re

from parnft.config import dynamics as D
from parnft.config import keys as K
from parnft.config import maps as M
from parnft.config.nftsim import Key, Reporter, Word, number

_ITEM = re.compile(r"^[0-9]+(?:\.[A-Za-z_][A-Za-z0-9_]*)?$")
#: Every key name, to recognise one written without its colon.
_KEY_NAMES = K.all_key_names()
#: Words that can follow a key as its value besides numbers (``Topology Torus``).
_VALUE_WORDS = frozenset(("Steady", "All", "-", *K.TOPOLOGIES, *K.FUNCTIONS, *K.FIRING_KINDS,
                          *K.DENDRITE_KINDS, *K.PROPAGATOR_KINDS, *K.COUPLING_KINDS,
                          *K.STIMULUS_MODES))

#: Opener keys per block family: name -> (indexed?, child family).
_OPENERS = {
    "root": {
        "Connection matrix": (False, "matrix"),
        "Population": (True, "population"),
        "Propagator": (True, "propagator"),
        "Coupling": (True, "coupling"),
        "Output": (False, "output"),
    },
    "population": {
        "Firing": (False, "firing"),
        "Stimulus": (False, "stimulus"),
        "Dendrite": (True, "dendrite"),
        "Dynamics": (False, "dynamics"),
    },
    "superimpose": {"Stimulus": (False, "stimulus")},
}


class Entry:
    """One value key of a block: its line, the words after it and the parsed value."""

    __slots__ = ("key", "line", "words", "value")

    def __init__(self, key: str, line: int, words: list[Word], value) -> None:
        self.key, self.line, self.words, self.value = key, line, words, value

    @property
    def text(self) -> str:
        """The value as written."""
        return " ".join(w.text for w in self.words)


class Block:
    """An opened block of the file (see the module docstring)."""

    def __init__(self, family: str, key: Key | None, parent: Block | None = None) -> None:
        self.family = family
        self.index = key.index if key else None
        self.line = key.line if key else 0
        self.parent = parent
        self.kind: str | None = None
        self.kind_ok = True
        self.pending = False  # stimulus without a mode yet (Superimpose may follow)
        self.duplicate = False
        self.head: list[Word] = []
        self.entries: dict[str, Entry] = {}
        self.children: list[Block] = []

    # -- description ---------------------------------------------------------
    @property
    def label(self) -> str:
        """How problems name this block (``"Coupling 1 (Ramp)"``)."""
        f = self.family
        if f == "root":
            return "the top level"
        if f == "matrix":
            return "Connection matrix"
        if f == "output":
            return "Output"
        if f in ("firing", "stimulus", "superimpose", "dynamics"):
            owner = self.parent
            while owner is not None and owner.family != "population":
                owner = owner.parent
            name = {"firing": "Firing", "stimulus": "Stimulus", "superimpose": "Superimpose",
                    "dynamics": "Dynamics"}[f]
            kind = f" ({self.kind})" if self.kind and self.kind_ok and f != "superimpose" else ""
            where = f" of Population {owner.index}" if owner is not None else ""
            return f"{name}{kind}{where}"
        name = f.capitalize()
        shown = self.kind and self.kind_ok and self.kind != "Dendrite"
        kind = f" ({self.kind})" if shown else ""
        return f"{name} {self.index}{kind}"

    @property
    def short(self) -> str:
        """Prefix of problem keys (``"Coupling 1"``, ``"Population 2 Stimulus"``)."""
        f = self.family
        if f == "root":
            return ""
        if f in ("firing", "stimulus", "superimpose", "dynamics"):
            owner = self.parent
            while owner is not None and owner.family != "population":
                owner = owner.parent
            own = f"Population {owner.index} " if owner is not None else ""
            return own + {"firing": "Firing", "dynamics": "Dynamics"}.get(f, "Stimulus")
        if f in ("matrix", "output"):
            return "Connection matrix" if f == "matrix" else "Output"
        return f"{f.capitalize()} {self.index}"

    def qualify(self, key: str) -> str:
        """``key`` prefixed with :attr:`short` (``"Coupling 1: nu"``)."""
        return f"{self.short}: {key}" if self.short else key

    def value_keys(self) -> dict[str, str]:
        """Value keys this block accepts, with their value types."""
        f = self.family
        if not self.kind_ok:
            return {}
        if f == "root":
            return K.ROOT_KEYS
        if f == "matrix":
            return K.MATRIX_KEYS
        if f == "population":
            return K.POPULATION_KEYS
        if f == "firing":
            return K.firing_keys(self.kind or "Response")
        if f == "stimulus":
            if self.pending:
                return {K.SUPERIMPOSE: K.NUM}
            return K.stimulus_keys(self.kind) if self.kind else {}
        if f == "dendrite":
            return K.dendrite_keys(self.kind or "Dendrite")
        if f == "propagator":
            return K.PROPAGATOR_KEYS
        if f == "coupling":
            return K.coupling_keys(self.kind) if self.kind else {}
        if f == "output":
            return K.OUTPUT_KEYS
        if f == "dynamics":
            return D.block_keys(self.kind)
        return {}

    def accepts(self, key: Key) -> str | None:
        """``"value"``, ``"open"`` or None for a key seen while this block is open."""
        op = _OPENERS.get(self.family, {}).get(key.name)
        if op is not None and op[0] == (key.index is not None):
            return "open"
        if self.family == "matrix" and key.name == "To" and key.index is not None:
            return "value"
        if key.index is None and key.name in self.value_keys():
            return "value"
        return None

    def known(self) -> list[str]:
        """Every key name valid here (for "did you mean")."""
        names = list(self.value_keys())
        names += list(_OPENERS.get(self.family, {}))
        if self.family == "matrix":
            names.append("To")
        return names

    def entry(self, key: str):
        """The parsed value of ``key``, or None when absent."""
        e = self.entries.get(key)
        return None if e is None else e.value


class _Interpreter:
    def __init__(self, rep: Reporter) -> None:
        self.rep = rep
        self.root = Block("root", None)
        self.stack = [self.root]
        self.seen: dict[tuple, int] = {}

    def run(self, seq: list[tuple[Key, list[Word]]]) -> Block:
        for key, words in seq:
            self.feed(key, words)
        return self.root

    def feed(self, key: Key, words: list[Word]) -> None:
        top = self.stack[-1]
        if top.pending and key.name != K.SUPERIMPOSE:
            self.rep.add(top.line, "Stimulus", "", f"{top.label} names no stimulus mode",
                         "write 'Stimulus: <Mode> -' with Mode one of "
                         + ", ".join(K.STIMULUS_MODES) + " (or 'Stimulus: Superimpose: K')")
            top.pending, top.kind_ok = False, False
        for depth in range(len(self.stack) - 1, -1, -1):
            block = self.stack[depth]
            how = block.accepts(key)
            if how is None:
                continue
            del self.stack[depth + 1:]
            if how == "open":
                self.open(block, key, words)
            else:
                self.value(block, key, words)
            return
        if not top.kind_ok:
            return  # inside a block of unknown kind: its keys cannot be judged
        self.unknown(top, key, words)

    # -- errors ---------------------------------------------------------------
    def unknown(self, top: Block, key: Key, words: list[Word]) -> None:
        text = " ".join(w.text for w in words)
        if key.name == "Dendrite" and key.index is not None:
            self.rep.add(key.line, key.label, text,
                         f"Dendrite {key.index} is not inside a Population block",
                         f"move it into the block of the population that connection "
                         f"{key.index} goes to")
            lost = Block("dendrite", key, top)
            lost.kind_ok, lost.duplicate = False, True  # swallow its keys, build nothing
            self.stack.append(lost)
            return
        if key.name == "Longside":
            self.rep.add(key.line, top.qualify(key.label), text,
                         f"unknown key 'Longside' in {top.label}",
                         "did you mean 'Longside nodes'? (NFTsim reads only 'Longside nodes:')")
            return
        names = top.known()
        best = difflib.get_close_matches(key.label, names, n=1, cutoff=0.6)
        if not best:
            everything = [n for b in self.stack for n in b.known()]
            best = difflib.get_close_matches(key.label, everything, n=1, cutoff=0.75)
        fix = (f"did you mean '{best[0]}'?" if best
               else "known keys here: " + ", ".join(names) if names
               else "remove it")
        self.rep.add(key.line, top.qualify(key.label), text,
                     f"unknown key '{key.label}' in {top.label}", fix)

    # -- openers ----------------------------------------------------------------
    def open(self, parent: Block, key: Key, words: list[Word]) -> None:
        family = _OPENERS[parent.family][key.name][1]
        block = Block(family, key, parent)
        block.head = words
        if parent.family == "superimpose":
            ident = None  # parts are counted against K, never duplicates
        elif parent.family == "population" and key.index is None:
            ident = (family, id(parent))  # one Firing / one Stimulus per population
        else:
            ident = (family, key.index)  # Population k, Dendrite j, Output, ...
        if ident in self.seen:
            block.duplicate = True
            self.rep.add(key.line, key.label, "",
                         f"{key.label} given twice (first on line {self.seen[ident]})",
                         "keep one block")
        elif ident is not None:
            self.seen[ident] = key.line
        other = {"firing": ("stimulus", "superimpose"), "stimulus": ("firing",)}.get(family, ())
        soma = ("firing", "stimulus", "superimpose", "dynamics")
        if parent.family == "population" and family in soma and any(
                c.family in soma and (c.family == "dynamics") != (family == "dynamics")
                for c in parent.children):
            self.rep.add(key.line, key.label, "",
                         f"Population {parent.index} has Dynamics and also Firing or Stimulus",
                         "a population with 'Dynamics:' has no Firing or Stimulus block")
        elif parent.family == "population" and any(c.family in other for c in parent.children):
            self.rep.add(key.line, key.label, "",
                         f"Population {parent.index} has both Firing and Stimulus",
                         "a neural population has Q and Firing; a stimulus population "
                         "(no incoming connection) has Stimulus")
        if block.duplicate:
            block.kind_ok = False  # ignored: its keys are not judged
        else:
            self.kind(block, words)
            self.head_tail(block, key, words)
        parent.children.append(block)
        self.stack.append(block)

    def head_tail(self, block: Block, key: Key, words: list[Word]) -> None:
        """Check the words after an opener's kind (``Propagator 1: Wave - <here>``)."""
        if block.family == "population":
            self.stray(key.label, words, name_only=True)  # free name: only colonless keys
            return
        if not block.kind_ok:
            return
        used = 0
        if words and words[0].text != "-" and block.family not in ("matrix", "output"):
            used = 1
        if used < len(words) and words[used].text == "-":
            used += 1
        self.stray(key.label, words[used:])

    def kind(self, block: Block, words: list[Word]) -> None:
        word = words[0].text if words and words[0].text != "-" else None
        f = block.family
        if f in ("population", "matrix", "output"):
            return
        if f == "dynamics":
            if word is None:
                block.kind_ok = False
                self.rep.add(block.line, block.label, "", f"{block.label} names no Dynamics kind",
                             "write the kind after 'Dynamics:', one of " + ", ".join(D.known()))
                return
            block.kind = word
            if word not in D.known():
                block.kind_ok = False
                D.kind_problem(self.rep, block, word)
            return
        if f == "firing":
            table, what, default = K.FIRING_KINDS, "firing response", "Response"
            if word == "Response":
                word = None  # the plain response has no kind word in NFTsim
        elif f == "dendrite":
            table, what, default = K.DENDRITE_KINDS, "dendrite kind", "Dendrite"
        elif f == "propagator":
            table, what, default = K.PROPAGATOR_KINDS, "propagator kind", None
        elif f == "coupling":
            table, what, default = tuple(K.COUPLING_KINDS), "coupling kind", None
        else:  # stimulus
            table, what, default = tuple(K.STIMULUS_MODES), "stimulus mode", None
            if word is None:
                block.pending = block.parent is not None and block.parent.family == "population"
                if not block.pending:
                    self.rep.add(block.line, "Stimulus", "", f"{block.label} names no stimulus "
                                 "mode", "write 'Stimulus: <Mode> -' with Mode one of "
                                 + ", ".join(K.STIMULUS_MODES))
                    block.kind_ok = False
                return
        if word is None:
            if default is None:
                block.kind_ok = False
                self.rep.add(block.line, block.label, "", f"{block.label} names no {what}",
                             f"write the kind after '{block.label}:', one of "
                             + ", ".join(table))
                return
            word = default
        block.kind = word
        if word not in table:
            block.kind_ok = False
            best = difflib.get_close_matches(word, table, n=1, cutoff=0.5)
            hint = f"did you mean '{best[0]}'? " if best else ""
            self.rep.add(words[0].line, block.label, word,
                         f"unknown {what} '{word}' in {block.label}",
                         f"{hint}known: {', '.join(table)}")

    # -- values -------------------------------------------------------------------
    def value(self, block: Block, key: Key, words: list[Word]) -> None:
        label = key.label
        if label in block.entries:
            first = block.entries[label].line
            self.rep.add(key.line, block.qualify(label), " ".join(w.text for w in words),
                         f"'{label}' given twice in {block.label} (first on line {first})",
                         "keep one")
            return
        if block.family == "matrix" and key.name == "To":
            block.entries[label] = Entry(label, key.line, words, None)
            lead = 0
            while lead < len(words) and number(words[lead].text) is not None:
                lead += 1
            if lead:
                self.stray(block.qualify(label), words[lead:])
            return
        if block.family == "stimulus" and key.name == K.SUPERIMPOSE:
            block.pending = False
            block.family, block.kind = "superimpose", K.SUPERIMPOSE
        vtype = (K.NUM if key.name == K.SUPERIMPOSE else block.value_keys()[key.name])
        value = self.parse(block, key, words, vtype)
        block.entries[label] = Entry(label, key.line, words, value)
        used = _consumed(vtype, words, value)
        if used:
            self.stray(block.qualify(label), words[used:])

    def stray(self, qkey: str, tail: list[Word], name_only: bool = False) -> None:
        """Report the words after a value: a key without its colon, else ignored words.

        NFTsim skips every word between a value and the next key, and its
        shipped models use that for comments (``nu: 0.0015 oldvalue 0.0016``,
        ``Start: 1 .0``), so such words are a warning. A word that is a key
        name followed by a value (``Tau 0.0425``), a two-word key
        (``Longside nodes 4``) or an indexed key (``Population 2``) is a key
        whose colon is missing: an error, since NFTsim would silently use its
        default. With ``name_only`` (a population's free name) only those
        errors are reported.
        """
        if not tail:
            return
        named = False
        for i, w in enumerate(tail):
            nxt = tail[i + 1].text if i + 1 < len(tail) else None
            after = tail[i + 2].text if i + 2 < len(tail) else None
            name = None
            if nxt is not None and w.text in K.INDEXED and nxt.isascii() and nxt.isdigit():
                name = f"{w.text} {nxt}"
            elif nxt is not None and f"{w.text} {nxt}" in K.MULTIWORD and \
                    (after is None or _valueish(after)):
                name = f"{w.text} {nxt}"
            elif w.text in _KEY_NAMES and nxt is not None and _valueish(nxt):
                name = w.text
            if name is not None:
                named = True
                self.rep.add(w.line, qkey, " ".join(x.text for x in tail),
                             f"'{name}' is a key without its colon (NFTsim would ignore it "
                             "and use the default)", f"write '{name}:'")
        if not named and not name_only:
            self.rep.warn(tail[0].line, qkey, " ".join(x.text for x in tail),
                          "words after the value are ignored (as NFTsim does)",
                          "delete them, or keep them as a comment")

    def parse(self, block: Block, key: Key, words: list[Word], vtype: str):
        rep, label, where = self.rep, key.label, block.label
        qkey = block.qualify(label)
        text = " ".join(w.text for w in words)
        if vtype == K.PHRASE:
            return tuple((w.text, w.line) for w in words)
        if vtype == K.ITEMS:
            bad = [w for w in words if not _ITEM.match(w.text)]
            for w in bad:
                rep.add(w.line, qkey, w.text,
                        f"'{w.text}' is not an output item",
                        "write an object number 'k' or 'k.field' (e.g. '2' or '2.Q')")
            return tuple(w.text for w in words if _ITEM.match(w.text))
        if not words:
            rep.add(key.line, qkey, "", f"'{label}' in {where} has no value",
                    "write a value after the key")
            return {K.LIST: (float("nan"),), K.NODES: (), K.WORD: None}.get(vtype, float("nan"))
        first = words[0]
        if vtype in (K.NUM, K.STEADY, K.LIST) and M.starts(first.text):
            fm = M.parse(words, qkey, rep)  # a per-node map (parnft only)
            rep.maps.append(fm)
            return (fm,) if vtype == K.LIST else fm
        if vtype == K.NUM and len(words) > 1:
            fm = M.node_list(words, self.root.entry("Nodes"), qkey)
            if fm is not None:  # one number per node, as NFTsim's per-node nu lists
                rep.maps.append(fm)
                return fm
        if vtype == K.TEXT:
            return first.text
        if vtype == K.WORD:
            table = K.TOPOLOGIES if key.name == "Topology" else tuple(K.FUNCTIONS)
            if first.text in table:
                return first.text
            best = difflib.get_close_matches(first.text, table, n=1, cutoff=0.5)
            hint = f"did you mean '{best[0]}'? " if best else ""
            rep.add(first.line, qkey, first.text, f"unknown {label} '{first.text}' in {where}",
                    f"{hint}known: {', '.join(table)}")
            return None
        if vtype == K.STEADY:
            if first.text == "Steady":
                return "Steady"
            v = number(first.text)
            if v is None:
                rep.add(first.line, qkey, first.text, f"'{label}' in {where} is neither "
                        "'Steady' nor a number", "write 'Steady' or a number")
                return float("nan")
            return v
        if vtype == K.NUM:
            v = number(first.text)
            if v is None:
                rep.add(first.line, qkey, first.text, f"'{label}' in {where} is not a number",
                        "write a decimal number such as 0.5 or 1e-3")
                return float("nan")
            return v
        # LIST or NODES
        if vtype == K.NODES and first.text == "All":
            return ()
        values = []
        for w in words:
            v = number(w.text)
            if v is None:
                break
            values.append(v)
        if not values:
            rep.add(first.line, qkey, text, f"'{label}' in {where} is not a number",
                    "write a list of decimal numbers" if vtype == K.LIST
                    else "write node numbers (1-based) or 'All'")
            return (float("nan"),) if vtype == K.LIST else ()
        if vtype == K.NODES:
            if any(v != int(v) for v in values):
                rep.add(first.line, qkey, text, f"'{label}' in {where} has a node number "
                        "that is not a whole number", "write 1-based node numbers")
            return tuple(int(v) for v in values)
        return tuple(values)


def _valueish(text: str) -> bool:
    return number(text) is not None or text in _VALUE_WORDS


def _consumed(vtype: str, words: list[Word], value=None) -> int:
    """How many of ``words`` a value of type ``vtype`` uses (0: it could not be read)."""
    if not words:
        return 0
    if isinstance(value, tuple) and len(value) == 1:
        value = value[0]
    if M.is_map(value):
        return len(value.source.values) if value.source.form == "list" else M.span(words)
    if vtype in (K.ITEMS, K.PHRASE):
        return len(words)
    if vtype in (K.NUM, K.STEADY):
        return 1 if (number(words[0].text) is not None or words[0].text == "Steady") else 0
    if vtype == K.WORD:
        return 1
    if vtype == K.NODES and words[0].text == "All":
        return 1
    n = 0
    while n < len(words) and number(words[n].text) is not None:
        n += 1
    return n


def interpret(seq: list[tuple[Key, list[Word]]], rep: Reporter) -> Block:
    """Build the block tree of a file from its keys.

    Parameters
    ----------
    seq : list of (Key, list of Word)
        Output of :func:`parnft.config.nftsim.items`.
    rep : Reporter
        Receives every syntax problem (unknown or repeated keys, unknown
        kinds, non-numeric values).

    Returns
    -------
    Block
        The root block.
    """
    return _Interpreter(rep).run(seq)
