#!/usr/bin/env python3
"""Generate libocispec's oci-types.h and oci-types.c from schema/*.ospec.

Usage: generate.py -o OUTDIR [SCHEMA.ospec ...]

Without schema arguments every schema/*.ospec next to this script is read.
The schema format is described in the header of schema/config.ospec.  The
generated code is only data: C structs, and for each struct a table of field
descriptors that the generic code in ocispec.c interprets (parse, generate,
free).  Python 3 standard library only.
"""

import argparse
import glob
import os
import re
import sys

SCALARS = {
    # schema type: (C type, descriptor kind)
    "string": ("char *", "OCISPEC_STRING"),
    "bool": ("bool", "OCISPEC_BOOL"),
    "int32": ("int32_t", "OCISPEC_INT32"),
    "uint32": ("uint32_t", "OCISPEC_UINT32"),
    "int64": ("int64_t", "OCISPEC_INT64"),
    "uint64": ("uint64_t", "OCISPEC_UINT64"),
    "uint16": ("uint16_t", "OCISPEC_UINT16"),
    "double": ("double", "OCISPEC_DOUBLE"),
}

C_RESERVED = set("""
auto break case char const continue default do double else enum extern float
for goto if inline int long register restrict return short signed sizeof static
struct switch typedef union unsigned void volatile while _Bool _Complex
_Imaginary _Alignas _Alignof _Atomic _Generic _Noreturn _Static_assert
_Thread_local bool true false errno assert offsetof NULL
""".split())

# Macros GCC predefines in gnu modes that are also sensible member names.
PREDEFINED_MACROS = ("linux", "unix", "i386")

IDENT = re.compile(r"^[a-z][a-z0-9_]*$")
JSON_KEY = re.compile(r"^[A-Za-z0-9_.-]+$")


class SchemaError(Exception):
    pass


class Field:
    def __init__(self, where, key, shape, elem, required, cname):
        self.where = where        # "file:line" for messages
        self.key = key            # JSON key
        self.shape = shape        # "one", "array" or "map"
        self.elem = elem          # scalar type name or struct name
        self.required = required
        self.cname = cname        # C member name

    @property
    def is_struct(self):
        return self.elem not in SCALARS

    @property
    def is_pointer(self):
        return self.elem == "string" or self.is_struct

    def aux_member(self):
        """Companion member (_present or _len), or None."""
        if self.shape == "array":
            return self.cname + "_len"
        if self.shape == "one" and not self.is_pointer:
            return self.cname + "_present"
        return None


class Struct:
    def __init__(self, where, name):
        self.where = where
        self.name = name
        self.fields = []


def snake_case(key):
    """ociVersion -> oci_version, disableOOMKiller -> disable_oom_killer."""
    out = []
    for i, ch in enumerate(key):
        if ch.isupper():
            prev = key[i - 1] if i else ""
            nxt = key[i + 1] if i + 1 < len(key) else ""
            if prev and (prev.islower() or prev.isdigit()
                         or (prev.isupper() and nxt.islower())):
                out.append("_")
            out.append(ch.lower())
        elif ch in "-.":
            out.append("_")
        else:
            out.append(ch)
    return "".join(out)


def parse_type(where, text):
    """Returns (shape, element type name)."""
    shape = "one"
    if text.startswith("[]"):
        shape, text = "array", text[2:]
    elif text.startswith("map:"):
        shape, text = "map", text[4:]
    if text.startswith("[]") or text.startswith("map:"):
        raise SchemaError("%s: nested array/map types are not supported" % where)
    if text not in SCALARS and not IDENT.match(text):
        raise SchemaError("%s: bad type %r" % (where, text))
    return shape, text


def parse_field(where, words):
    key = words[0]
    if not JSON_KEY.match(key):
        raise SchemaError("%s: bad JSON key %r" % (where, key))
    if len(words) < 2:
        raise SchemaError("%s: field %r has no type" % (where, key))
    shape, elem = parse_type(where, words[1])
    required = False
    cname = snake_case(key)
    rest = words[2:]
    if rest and rest[0] == "required":
        required, rest = True, rest[1:]
    if len(rest) == 2 and rest[0] == "as":
        cname, rest = rest[1], []
    if rest:
        raise SchemaError("%s: unexpected %r" % (where, " ".join(rest)))
    if not IDENT.match(cname) or cname in C_RESERVED:
        raise SchemaError("%s: C name %r is not usable; add `as NAME`"
                          % (where, cname))
    return Field(where, key, shape, elem, required, cname)


def read_schema(path, structs):
    current = None
    base = os.path.basename(path)
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            where = "%s:%d" % (base, lineno)
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            if words[0] == "struct":
                if current is not None:
                    raise SchemaError("%s: missing `end` for struct %s"
                                      % (where, current.name))
                if len(words) != 2 or not IDENT.match(words[1]):
                    raise SchemaError("%s: expected `struct NAME`" % where)
                current = Struct(where, words[1])
                structs.append(current)
            elif words[0] == "end" and len(words) == 1:
                if current is None:
                    raise SchemaError("%s: `end` outside a struct" % where)
                current = None
            elif current is None:
                raise SchemaError("%s: field outside a struct" % where)
            else:
                current.fields.append(parse_field(where, words))
    if current is not None:
        raise SchemaError("%s: struct %s has no `end`" % (base, current.name))


def check(structs):
    names = {}
    for s in structs:
        if s.name in names:
            raise SchemaError("%s: struct %s already defined at %s"
                              % (s.where, s.name, names[s.name].where))
        if s.name in SCALARS:
            raise SchemaError("%s: %s is a built-in type" % (s.where, s.name))
        if s.name.startswith("map_"):
            raise SchemaError("%s: struct names starting with map_ are reserved"
                              % s.where)
        names[s.name] = s
    for s in structs:
        if not s.fields:
            raise SchemaError("%s: struct %s has no fields" % (s.where, s.name))
        keys, members = set(), set()
        for f in s.fields:
            if f.key in keys:
                raise SchemaError("%s: duplicate key %r" % (f.where, f.key))
            keys.add(f.key)
            for m in (f.cname, f.aux_member()):
                if m is None:
                    continue
                if m in members:
                    raise SchemaError("%s: C member %s clashes; use `as`"
                                      % (f.where, m))
                members.add(m)
            if f.is_struct and f.elem not in names:
                raise SchemaError("%s: unknown type %r" % (f.where, f.elem))
    return names


# ---------------------------------------------------------------- output

def c_member_type(f):
    """C declaration prefix for the main member of a field."""
    if f.is_struct:
        elem = "oci_%s *" % f.elem
    else:
        elem = SCALARS[f.elem][0]
        if not elem.endswith("*"):
            elem += " "
    if f.shape == "one":
        return elem
    if f.shape == "array":
        return elem + "*"
    return "oci_map_%s *" % f.elem


def map_types(structs):
    """Element types used as map:X other than string, in first-use order."""
    seen = []
    for s in structs:
        for f in s.fields:
            if f.shape == "map" and f.elem != "string" and f.elem not in seen:
                seen.append(f.elem)
    return seen


def map_value_type(elem):
    if elem in SCALARS:
        t = SCALARS[elem][0]
        return t + ("*" if t.endswith("*") else " *")
    return "oci_%s **" % elem


def header(structs, sources):
    out = []
    w = out.append
    w("/* Generated by libocispec/generate.py from %s; do not edit. */"
      % ", ".join(sources))
    w("#ifndef OCI_TYPES_H")
    w("#define OCI_TYPES_H")
    w("")
    w('#include "ocispec.h"')
    w("")
    members = {f.cname for s in structs for f in s.fields}
    for m in PREDEFINED_MACROS:
        if m in members:
            w("#undef %s /* predefined as 1 by gcc -std=gnu*; a member here */" % m)
    w("")
    for s in structs:
        w("typedef struct oci_%s oci_%s;" % (s.name, s.name))
    maps = map_types(structs)
    for m in maps:
        w("typedef struct oci_map_%s oci_map_%s;" % (m, m))
    w("")
    for m in maps:
        w("struct oci_map_%s" % m)
        w("{")
        w("  size_t len;")
        w("  char **keys;")
        w("  %svalues;" % map_value_type(m))
        w("};")
        w("")
    for s in structs:
        w("struct oci_%s" % s.name)
        w("{")
        decls = []
        for f in s.fields:
            note = f.key + (", required" if f.required else "")
            decls.append(("%s%s;" % (c_member_type(f), f.cname), note))
            aux = f.aux_member()
            if aux:
                decls.append(("%s %s;" % ("size_t" if f.shape == "array" else "bool", aux), None))
        width = max(len(d) for d, _ in decls)
        for d, note in decls:
            w(("  %-*s /* %s */" % (width, d, note)) if note else "  " + d)
        w("};")
        w("")
    for s in structs:
        n = "oci_" + s.name
        w("extern const ocispec_desc %s_desc;" % n)
        w("%s *%s_parse_file (const char *path, char **err);" % (n, n))
        w("%s *%s_parse_data (const char *data, size_t len, const char *source, char **err);"
          % (n, n))
        w("char *%s_generate (const %s *v, unsigned flags, char **err);" % (n, n))
        w("void %s_free (%s *v);" % (n, n))
        w("void %s_freep (%s **v);" % (n, n))
        w("")
    w("#endif")
    return "\n".join(out) + "\n"


def field_entry(s, f):
    t = "oci_" + s.name
    aux = f.aux_member()
    return "  { \"%s\", offsetof (%s, %s), %s, %s, %s, OCISPEC_%s, %s }," % (
        f.key, t, f.cname,
        "offsetof (%s, %s)" % (t, aux) if aux else "0",
        "&oci_%s_desc" % f.elem if f.is_struct else "NULL",
        "OCISPEC_STRUCT" if f.is_struct else SCALARS[f.elem][1],
        f.shape.upper(),
        "true" if f.required else "false")


def source(structs, sources):
    out = []
    w = out.append
    w("/* Generated by libocispec/generate.py from %s; do not edit. */"
      % ", ".join(sources))
    w("#ifdef HAVE_CONFIG_H")
    w("# include <config.h>")
    w("#endif")
    w("")
    w('#include "oci-types.h"')
    w("")
    w("/* The public functions of one struct: thin wrappers over ocispec.c. */")
    w("#define OCI_DEFINE_FUNCS(N) \\")
    w("  oci_##N *oci_##N##_parse_file (const char *path, char **err) \\")
    w("  { return ocispec_parse_file (&oci_##N##_desc, path, err); } \\")
    w("  oci_##N *oci_##N##_parse_data (const char *data, size_t len, const char *src, char **err) \\")
    w("  { return ocispec_parse_data (&oci_##N##_desc, data, len, src, err); } \\")
    w("  char *oci_##N##_generate (const oci_##N *v, unsigned flags, char **err) \\")
    w("  { return ocispec_generate (&oci_##N##_desc, v, flags, err); } \\")
    w("  void oci_##N##_free (oci_##N *v) \\")
    w("  { ocispec_free (&oci_##N##_desc, v); } \\")
    w("  void oci_##N##_freep (oci_##N **v) \\")
    w("  { if (v != NULL) { ocispec_free (&oci_##N##_desc, *v); *v = NULL; } }")
    w("")
    w("/* ocispec.c handles every map through the oci_map_string layout. */")
    for m in map_types(structs):
        for member in ("len", "keys", "values"):
            w("_Static_assert (offsetof (oci_map_%s, %s) == offsetof (oci_map_string, %s), \"map layout\");"
              % (m, member, member))
        w("_Static_assert (sizeof (oci_map_%s) == sizeof (oci_map_string), \"map layout\");" % m)
    w("")
    for s in structs:
        w("static const ocispec_field oci_%s_fields[] = {" % s.name)
        for f in s.fields:
            w(field_entry(s, f))
        w("};")
        w("const ocispec_desc oci_%s_desc = { \"%s\", sizeof (oci_%s), %d, oci_%s_fields };"
          % (s.name, s.name, s.name, len(s.fields), s.name))
        w("OCI_DEFINE_FUNCS (%s)" % s.name)
        w("")
    return "\n".join(out).rstrip("\n") + "\n"


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output-dir", required=True)
    ap.add_argument("schemas", nargs="*")
    args = ap.parse_args()
    schemas = args.schemas
    if not schemas:
        here = os.path.dirname(os.path.abspath(__file__))
        schemas = sorted(glob.glob(os.path.join(here, "schema", "*.ospec")))
    if not schemas:
        sys.exit("generate.py: no schema files")
    structs = []
    try:
        for path in schemas:
            read_schema(path, structs)
        check(structs)
    except SchemaError as e:
        sys.exit("generate.py: %s" % e)
    except OSError as e:
        sys.exit("generate.py: %s" % e)
    names = [os.path.basename(p) for p in schemas]
    os.makedirs(args.output_dir, exist_ok=True)
    # Header first, so the .c file is never older than the header.
    write_atomic(os.path.join(args.output_dir, "oci-types.h"), header(structs, names))
    write_atomic(os.path.join(args.output_dir, "oci-types.c"), source(structs, names))


if __name__ == "__main__":
    main()
