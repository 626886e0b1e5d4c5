"""The binding's C declarations (scv/_lib.py) must agree with include/scv.h.

The header is parsed here with regular expressions: comments and preprocessor lines are
dropped, then typedefs (scalar aliases, enums, opaque and defined structs, function
pointers) and every `SCV_API <type> <name>(<params>);` declaration, however many lines it
spans, are read. Each C type becomes the ctypes type it must be bound as, and every entry
of FUNCTIONS, CALLBACKS, STRUCTS, ENUMS and DEFINES in _lib.py is compared with it. No
library is loaded: _lib.py is imported from its file without the package's __init__.

Equivalences allowed (ABI-identical, and how the binding reads strings):
- any enum is c_int;
- c_void_p stands for a pointer to void, char or an opaque struct (handles, and strings
  returned without a NUL terminator); c_char_p for a pointer to char only;
- an array parameter `T name[N]` is a pointer to T.
"""

import ctypes
import importlib.util
import os
import re

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE_ROOT = os.path.dirname(HERE)
HEADER = os.environ.get(
    "SCV_HEADER", os.path.join(os.path.dirname(os.path.dirname(PACKAGE_ROOT)), "include",
                               "scv.h"))
LIB_PY = os.path.join(PACKAGE_ROOT, "scv", "_lib.py")


def load_lib_module(path=LIB_PY):
    spec = importlib.util.spec_from_file_location("scv_lib_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---- header parsing ----------------------------------------------------------------------------

SCALARS = {
    "void": None,
    "char": ctypes.c_char,
    "signed char": ctypes.c_byte,
    "unsigned char": ctypes.c_ubyte,
    "short": ctypes.c_short,
    "unsigned short": ctypes.c_ushort,
    "int": ctypes.c_int,
    "signed": ctypes.c_int,
    "unsigned": ctypes.c_uint,
    "unsigned int": ctypes.c_uint,
    "long": ctypes.c_long,
    "unsigned long": ctypes.c_ulong,
    "long long": ctypes.c_longlong,
    "unsigned long long": ctypes.c_ulonglong,
    "float": ctypes.c_float,
    "double": ctypes.c_double,
    "size_t": ctypes.c_size_t,
    "int8_t": ctypes.c_int8,
    "uint8_t": ctypes.c_uint8,
    "int16_t": ctypes.c_int16,
    "uint16_t": ctypes.c_uint16,
    "int32_t": ctypes.c_int32,
    "uint32_t": ctypes.c_uint32,
    "int64_t": ctypes.c_int64,
    "uint64_t": ctypes.c_uint64,
    "intptr_t": ctypes.c_ssize_t,
    "uintptr_t": ctypes.c_size_t,
}
BUILTIN_WORDS = {"void", "char", "short", "int", "long", "signed", "unsigned", "float",
                 "double", "_Bool"}


def strip_source(text):
    """Comments and preprocessor directives (with continuation lines) removed."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    lines = []
    continuing = False
    for line in text.split("\n"):
        directive = continuing or line.lstrip().startswith("#")
        continuing = directive and line.rstrip().endswith("\\")
        lines.append("" if directive else line)
    text = "\n".join(lines)
    text = re.sub(r'extern\s+"C"\s*\{', " ", text)
    return text


class Header:
    """What the binding needs to know of a C header."""

    def __init__(self, text):
        self.aliases = {}  # typedef name -> C type text
        self.enums = {}  # enum typedef name -> {constant: value}
        self.opaque = set()  # struct typedef names without a visible layout
        self.structs = {}  # struct typedef name -> [(field name, C type tree)]
        self.fnptrs = {}  # function pointer typedef name -> (ret tree, [param trees])
        self.functions = {}  # name -> (ret tree, [param trees])
        self.defines = {}
        self._parse(text)

    def _parse(self, raw):
        for m in re.finditer(r"^\s*#\s*define\s+(\w+)\s+(.+?)\s*$", re.sub(
                r"/\*.*?\*/", " ", raw, flags=re.S), flags=re.M):
            self.defines[m.group(1)] = m.group(2).strip()
        text = strip_source(raw)
        for m in re.finditer(r"typedef\s+enum\s*\w*\s*\{(.*?)\}\s*(\w+)\s*;", text, re.S):
            values = {}
            nxt = 0
            for item in m.group(1).split(","):
                item = item.strip()
                if not item:
                    continue
                if "=" in item:
                    name, expr = (s.strip() for s in item.split("=", 1))
                    nxt = int(expr, 0)
                else:
                    name = item
                values[name] = nxt
                nxt += 1
            self.enums[m.group(2)] = values
        text = re.sub(r"typedef\s+enum\s*\w*\s*\{.*?\}\s*\w+\s*;", " ", text, flags=re.S)
        for m in re.finditer(r"typedef\s+struct\s+(\w+)\s*\{(.*?)\}\s*(\w+)\s*;", text, re.S):
            self.structs[m.group(3)] = m.group(2)
        text = re.sub(r"typedef\s+struct\s+\w+\s*\{.*?\}\s*\w+\s*;", " ", text, flags=re.S)
        for m in re.finditer(r"typedef\s+struct\s+(\w+)\s+(\w+)\s*;", text):
            self.opaque.add(m.group(2))
        for m in re.finditer(r"typedef\s+([^;()]*?)\(\s*\*\s*(\w+)\s*\)\s*\(([^;]*?)\)\s*;",
                             text, re.S):
            self.fnptrs[m.group(2)] = (m.group(1), m.group(3))
        for m in re.finditer(r"typedef\s+([\w\s\*]+?)\s+(\w+)\s*;", text):
            if m.group(1).split()[0] != "struct":
                self.aliases[m.group(2)] = m.group(1)
        for m in re.finditer(r"\bSCV_API\s+([^;(){}]+?)\b(\w+)\s*\(([^;{}]*?)\)\s*;", text,
                             re.S):
            self.functions[m.group(2)] = (self.type_of(m.group(1)), self.params(m.group(3)))
        # struct fields and function pointers, now that every name is known
        fields = {}
        for name, body in self.structs.items():
            fields[name] = [self.field(decl) for decl in body.split(";") if decl.strip()]
        self.structs = fields
        self.fnptrs = {name: (self.type_of(ret), self.params(params))
                       for name, (ret, params) in self.fnptrs.items()}

    def params(self, text):
        text = " ".join(text.split())
        if text in ("", "void"):
            return []
        return [self.param(p) for p in split_top(text)]

    def param(self, text):
        """A parameter's type tree (its name, if any, dropped; arrays become pointers)."""
        text = text.strip()
        array = re.search(r"\[[^\]]*\]\s*$", text)
        if array:
            text = text[:array.start()]
        tokens = re.findall(r"\w+|\*", text)
        words = [t for t in tokens if t not in ("const", "volatile", "restrict")]
        if (len(words) >= 2 and re.match(r"\w+$", words[-1]) and words[-1] not in BUILTIN_WORDS
                and any(w != "*" for w in words[:-1])):
            words = words[:-1]  # the parameter's name
        tree = self.words_type(words)
        return ("ptr", tree) if array else tree

    def field(self, decl):
        decl = " ".join(decl.split())
        fn = re.match(r"(.+?)\(\s*\*\s*(\w+)\s*\)\s*\((.*)\)$", decl)
        if fn:
            return fn.group(2), ("ptr", ("fn", self.type_of(fn.group(1)),
                                         self.params(fn.group(3))))
        tokens = re.findall(r"\w+|\*", decl)
        words = [t for t in tokens if t not in ("const", "volatile")]
        return words[-1], self.words_type(words[:-1])

    def type_of(self, text):
        tokens = re.findall(r"\w+|\*", text)
        return self.words_type([t for t in tokens if t not in ("const", "volatile",
                                                               "restrict", "SCV_API")])

    def words_type(self, words):
        stars = 0
        while words and words[-1] == "*":
            stars += 1
            words = words[:-1]
        if any(w == "*" for w in words):
            raise ValueError("cannot read type %r" % " ".join(words))
        tree = self.base(" ".join(words))
        for _ in range(stars):
            tree = ("ptr", tree)
        return tree

    def base(self, name):
        if name.startswith("struct "):
            name = name.split()[1]
        if name in SCALARS:
            return ("void",) if SCALARS[name] is None else ("scalar", name)
        if name in self.enums:
            return ("enum", name)
        if name in self.opaque:
            return ("opaque", name)
        if name in self.structs:
            return ("struct", name)
        if name in self.fnptrs:
            return ("fnptr", name)
        if name in self.aliases:
            return self.type_of(self.aliases[name])
        raise ValueError("unknown C type %r" % name)


def split_top(text):
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


# ---- comparing a ctypes type with a C type tree ------------------------------------------------

def describe(ctype):
    if ctype is None:
        return "None"
    return getattr(ctype, "__name__", repr(ctype))


def mismatch(ctype, tree, header, module, where):
    """None when ctype binds the C type `tree`, else a sentence saying how it differs."""
    kind = tree[0]
    if kind == "void":
        return None if ctype is None else "%s: C void, bound as %s" % (where, describe(ctype))
    if ctype is None:
        return "%s: bound as void (None), C has %s" % (where, show_tree(tree))
    if kind == "scalar":
        want = SCALARS[tree[1]]
        if ctype is want:
            return None
        return "%s: C %s needs %s, bound as %s" % (where, tree[1], describe(want),
                                                   describe(ctype))
    if kind == "enum":
        if ctype is ctypes.c_int:
            return None
        return "%s: enum %s needs c_int, bound as %s" % (where, tree[1], describe(ctype))
    if kind == "fnptr":
        ret, params = header.fnptrs[tree[1]]
        return mismatch_fn(ctype, ret, params, header, module, "%s (%s)" % (where, tree[1]))
    if kind == "ptr":
        inner = tree[1]
        if inner[0] == "fn":
            return mismatch_fn(ctype, inner[1], inner[2], header, module, where)
        if ctype is ctypes.c_void_p:
            if inner[0] in ("void", "opaque") or inner == ("scalar", "char"):
                return None
            return "%s: c_void_p for %s (only void, char or opaque pointers)" % (
                where, show_tree(tree))
        if ctype is ctypes.c_char_p:
            if inner == ("scalar", "char"):
                return None
            return "%s: c_char_p for %s" % (where, show_tree(tree))
        if isinstance(ctype, type) and issubclass(ctype, ctypes._Pointer):
            if inner[0] == "struct":
                target = ctype._type_
                if target is getattr(module, "STRUCTS", {}).get(inner[1]):
                    return None
                return "%s: POINTER(%s) for struct %s *" % (where, describe(target), inner[1])
            return mismatch(ctype._type_, inner, header, module, where + " (pointee)")
        return "%s: %s for %s" % (where, describe(ctype), show_tree(tree))
    if kind in ("opaque", "struct"):
        return "%s: %s passed by value is not supported" % (where, tree[1])
    return "%s: unhandled %r" % (where, tree)


def mismatch_fn(ctype, ret, params, header, module, where):
    restype = getattr(ctype, "_restype_", "missing")
    argtypes = getattr(ctype, "_argtypes_", None)
    if restype == "missing" or argtypes is None:
        return "%s: a function pointer needs a CFUNCTYPE, bound as %s" % (where,
                                                                        describe(ctype))
    return compare_signature(restype, list(argtypes), ret, params, header, module, where)


def compare_signature(restype, argtypes, ret, params, header, module, where):
    problem = mismatch(restype, ret, header, module, where + " return")
    if problem:
        return problem
    if len(argtypes) != len(params):
        return "%s: %d parameters in C, %d bound" % (where, len(params), len(argtypes))
    for i, (ctype, tree) in enumerate(zip(argtypes, params)):
        problem = mismatch(ctype, tree, header, module, "%s parameter %d" % (where, i + 1))
        if problem:
            return problem
    return None


def show_tree(tree):
    if tree[0] == "ptr":
        return show_tree(tree[1]) + " *"
    if tree[0] == "void":
        return "void"
    if tree[0] == "fn":
        return "function"
    return tree[1]


def drift(module, header):
    """Every disagreement between a _lib module and a parsed header, as sentences."""
    problems = []
    optional = getattr(module, "OPTIONAL", frozenset())
    for name, (restype, argtypes) in module.FUNCTIONS.items():
        if name not in header.functions:
            if name not in optional:
                problems.append("%s is bound but not declared in scv.h" % name)
            continue
        ret, params = header.functions[name]
        problem = compare_signature(restype, list(argtypes), ret, params, header, module, name)
        if problem:
            problems.append(problem)
    for name, ctype in getattr(module, "CALLBACKS", {}).items():
        if name not in header.fnptrs:
            problems.append("callback type %s is not in scv.h" % name)
            continue
        ret, params = header.fnptrs[name]
        problem = mismatch_fn(ctype, ret, params, header, module, name)
        if problem:
            problems.append(problem)
    for name, cls in getattr(module, "STRUCTS", {}).items():
        if name not in header.structs:
            problems.append("struct %s is not in scv.h" % name)
            continue
        c_fields = header.structs[name]
        py_fields = list(cls._fields_)
        if [f for f, _ in c_fields] != [f for f, _ in py_fields]:
            problems.append("struct %s fields %s in C, %s bound" % (
                name, [f for f, _ in c_fields], [f for f, _ in py_fields]))
            continue
        for (fname, tree), (_, ctype) in zip(c_fields, py_fields):
            problem = mismatch(ctype, tree, header, module, "%s.%s" % (name, fname))
            if problem:
                problems.append(problem)
    for enum, values in getattr(module, "ENUMS", {}).items():
        if enum not in header.enums:
            problems.append("enum %s is not in scv.h" % enum)
            continue
        for constant, number in values.items():
            if header.enums[enum].get(constant) != number:
                problems.append("%s.%s is %r in C, %r bound" % (
                    enum, constant, header.enums[enum].get(constant), number))
    for constant, number in getattr(module, "DEFINES", {}).items():
        text = header.defines.get(constant)
        value = None
        if text is not None:
            digits = re.match(r"^\(?\s*(0x[0-9a-fA-F]+|\d+)[uUlL]*\s*\)?$", text)
            value = int(digits.group(1), 0) if digits else text
        if value != number:
            problems.append("#define %s is %r in C, %r bound" % (constant, value, number))
    return problems


# ---- the tests -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def header():
    with open(HEADER, encoding="utf-8") as f:
        return Header(f.read())


@pytest.fixture(scope="module")
def module():
    return load_lib_module()


def test_header_parses_into_many_functions(header):
    assert len(header.functions) > 80
    assert header.functions["scv_engine_new"] == (
        ("enum", "scv_status"),
        [("ptr", ("opaque", "scv_options")), ("ptr", ("ptr", ("opaque", "scv_engine")))])
    # a declaration over several lines, with an array parameter
    ret, params = header.functions["scv_engine_hash"]
    assert params[-1] == ("ptr", ("scalar", "uint8_t"))
    assert header.functions["scv_version_number"] == (("scalar", "unsigned"), [])


def test_every_binding_matches_the_header(module, header):
    problems = drift(module, header)
    assert not problems, "\n".join(problems)


def test_package_calls_only_declared_functions(module, header):
    """Every lib.scv_* the package calls is in FUNCTIONS (so its types were declared)."""
    called = set()
    package = os.path.join(PACKAGE_ROOT, "scv")
    for name in os.listdir(package):
        if name.endswith(".py"):
            with open(os.path.join(package, name), encoding="utf-8") as f:
                called |= set(re.findall(r"\blib\.(scv_\w+)", f.read()))
    assert called, "no calls found"
    assert sorted(called - set(module.FUNCTIONS)) == []
    unbound = sorted(set(header.functions) - set(module.FUNCTIONS))
    print("declared in scv.h, not bound:", ", ".join(unbound) or "none")


def test_drift_is_detected(module, header):
    """The checker must notice each kind of change a header can go through."""
    import ctypes as c

    def problems_with(name, entry):
        original = module.FUNCTIONS.get(name)
        module.FUNCTIONS[name] = entry
        try:
            return drift(module, header)
        finally:
            if original is None:
                del module.FUNCTIONS[name]
            else:
                module.FUNCTIONS[name] = original

    restype, args = module.FUNCTIONS["scv_engine_set_limit"]
    assert problems_with("scv_engine_set_limit", (restype, args[:-1]))  # one fewer parameter
    assert problems_with("scv_engine_set_limit", (restype, args + [c.c_int]))
    assert problems_with("scv_engine_set_limit", (restype, [args[0], args[1], c.c_uint64]))
    assert problems_with("scv_engine_set_limit", (c.c_uint32, args))  # return type
    restype, args = module.FUNCTIONS["scv_engine_record_count"]
    assert problems_with("scv_engine_record_count", (c.c_uint32, args))  # size_t -> uint32
    restype, args = module.FUNCTIONS["scv_record_set_timestamp"]
    assert problems_with("scv_record_set_timestamp", (restype, [args[0], c.c_uint32]))
    restype, args = module.FUNCTIONS["scv_engine_erase"]
    wrong = list(args)
    wrong[2] = c.POINTER(c.c_uint32)  # size_t * -> uint32_t *
    assert problems_with("scv_engine_erase", (restype, wrong))
    restype, args = module.FUNCTIONS["scv_engine_hash"]
    wrong = list(args)
    wrong[-1] = c.c_void_p  # uint8_t[16] is not a void/char/opaque pointer
    assert problems_with("scv_engine_hash", (restype, wrong))
    assert problems_with("scv_engine_no_such_function", (c.c_int, []))

    saved = module.ENUMS["scv_status"]["SCV_ESTATE"]
    module.ENUMS["scv_status"]["SCV_ESTATE"] = 99
    try:
        assert drift(module, header)
    finally:
        module.ENUMS["scv_status"]["SCV_ESTATE"] = saved

    saved = module.CALLBACKS["scv_change_fn"]
    module.CALLBACKS["scv_change_fn"] = c.CFUNCTYPE(c.c_int, c.c_void_p, c.c_uint32)
    try:
        assert drift(module, header)
    finally:
        module.CALLBACKS["scv_change_fn"] = saved
    assert not drift(module, header)


def test_a_changed_header_is_detected(module):
    """A header whose declaration changed (here: a parameter widened, across lines) fails."""
    with open(HEADER, encoding="utf-8") as f:
        text = f.read()
    assert "scv_engine_set_generic_threshold(scv_engine *engine, scv_kind kind," in text
    changed = text.replace(
        "scv_engine_set_generic_threshold(scv_engine *engine, scv_kind kind,\n"
        "                                                    uint32_t threshold);",
        "scv_engine_set_generic_threshold(scv_engine *engine, scv_kind kind,\n"
        "                                                    uint64_t threshold);")
    assert changed != text
    problems = drift(module, Header(changed))
    assert any("scv_engine_set_generic_threshold" in p for p in problems)
    removed = re.sub(r"SCV_API\s+size_t\s+scv_engine_record_count\([^;]*\);", "", text)
    assert any("scv_engine_record_count" in p for p in drift(module, Header(removed)))


def test_parser_on_a_small_header():
    header = Header("""
        #define SCV_API __attribute__((visibility("default")))
        #define LONG_MACRO(a, b) \\
            ((a) + \\
             (b))
        typedef enum e_t { A = 0, B, C = 7 } e_t;
        typedef struct h h;
        typedef uint32_t id_t;
        typedef int (*cb)(void *ctx, const char *s, size_t n);
        typedef struct st { void *(*alloc)(void *ctx, size_t size); void *ctx; } st;
        /* SCV_API int commented_out(void); */
        SCV_API e_t f(const h *x,
                      id_t id, const uint8_t out[16],
                      cb fn, const st *alc, char **names);
        SCV_API void g(void);
        SCV_API const char *name_of(const h *x, size_t *len);
        SCV_API unsigned version(void);
    """)
    assert "commented_out" not in header.functions
    assert header.enums["e_t"] == {"A": 0, "B": 1, "C": 7}
    ret, params = header.functions["f"]
    assert ret == ("enum", "e_t")
    assert params == [
        ("ptr", ("opaque", "h")),
        ("scalar", "uint32_t"),
        ("ptr", ("scalar", "uint8_t")),
        ("fnptr", "cb"),
        ("ptr", ("struct", "st")),
        ("ptr", ("ptr", ("scalar", "char"))),
    ]
    assert header.functions["g"] == (("void",), [])
    assert header.functions["name_of"][0] == ("ptr", ("scalar", "char"))
    assert header.fnptrs["cb"][1][1] == ("ptr", ("scalar", "char"))
    assert header.structs["st"][0][0] == "alloc"
    assert header.functions["version"] == (("scalar", "unsigned"), [])
