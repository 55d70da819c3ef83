/* curate.io._scan: one pass over a block of flat JSONL rows for `curate check`.

   scan_block() reads lines of the form {"key": "text", ...} whose keys are those of the block's first line,
   in the same order, and whose values are all strings. For each line it validates the JSON and the UTF-8,
   decodes the escapes and, for the instruction, input and output fields, counts characters and words, hashes
   the whitespace-normalized text (the exact-duplicate key) and raises flags for what only Python can judge
   (control characters, a code point that may leave the text outside NFC, a possible placeholder input).
   Anything else (another key, a number, a lone surrogate, invalid UTF-8, a raw control character, CR) makes
   it return None: the caller then reads the block with the exact per-line reader, which names the problem.

   hash_fields() and hash_text() give the same keys for Python strings, so rows read either way share one set.
   The scan releases the GIL, so blocks scan in parallel threads.
*/
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "_scan_keyset.h"
#include "_scan_text.h"

#define MAX_KEYS 32

/* ---- JSON ---- */

static inline int hex4(const uint8_t *p, uint32_t *out) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        uint8_t c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (uint32_t)(c - 'A' + 10);
        else return 0;
    }
    *out = v;
    return 1;
}

/* The JSON string starting after its opening quote at *pp; on success *pp points after the closing quote. */
static int json_string(const uint8_t **pp, const uint8_t *end, Field *f) {
    const uint8_t *p = *pp;
    for (;;) {
        p = field_run(f, p, end);
        if (p >= end) return 0;
        uint8_t c = *p;
        if (c == '"') {
            *pp = p + 1;
            return 1;
        }
        if (c == '\\') {
            if (end - p < 2) return 0;
            uint8_t e = p[1];
            uint32_t cp;
            p += 2;
            switch (e) {
            case '"': case '\\': case '/': cp = e; break;
            case 'b': cp = 0x08; break;
            case 'f': cp = 0x0C; break;
            case 'n': cp = 0x0A; break;
            case 'r': cp = 0x0D; break;
            case 't': cp = 0x09; break;
            case 'u': {
                uint32_t low;
                if (end - p < 4 || !hex4(p, &cp)) return 0;
                p += 4;
                if (cp >= 0xDC00 && cp <= 0xDFFF) return 0; /* a lone low surrogate */
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || !hex4(p + 2, &low) || low < 0xDC00 || low > 0xDFFF) return 0;
                    p += 6;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                }
                break;
            }
            default: return 0;
            }
            uint8_t buf[4];
            field_cp(f, cp, buf, utf8_encode(cp, buf));
        } else if (c < 0x20) {
            return 0; /* a raw control character, or the line ended inside the string */
        } else if (c == 0x7F) {
            field_cp(f, c, p, 1);
            p++;
        } else {
            uint32_t cp;
            int n = utf8_decode(p, end, &cp);
            if (n == 0) return 0;
            field_cp(f, cp, p, n);
            p += n;
        }
    }
}

static inline const uint8_t *skip_ws(const uint8_t *p, const uint8_t *end) {
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    return p;
}

typedef struct {
    int64_t *offsets; /* [n] where each line starts in the block */
    int32_t *chars;   /* [n][3] instruction, input, output */
    int32_t *words;   /* [n][3] */
    uint64_t *keys;   /* [n][2] the exact-duplicate key of the normalized text fields */
    uint64_t *ids;    /* [n][2] the hash of the id, 0 0 when the rows have none */
    uint8_t *flags;   /* [n] FLAG_* */
} Out;

typedef struct {
    const uint8_t *start;
    Py_ssize_t len;
} Span;

typedef struct {
    const uint8_t *roles;
    int nkeys;
    Span keys[MAX_KEYS]; /* the first line's keys */
    Py_ssize_t max_line_bytes, max_field_chars;
    const char *placeholders;
    Py_ssize_t placeholders_len;
    uint8_t *scratch;
} Rules;

/* One line [p, end) without its newline. Returns 0 when the line is not a plain row. */
static int scan_line(const uint8_t *p, const uint8_t *end, Rules *rules, int first, Out *out, Py_ssize_t row) {
    Key text_keys[TEXT_FIELDS], empty = hash_bytes(NULL, 0);
    int32_t chars[TEXT_FIELDS] = {0, 0, 0}, words[TEXT_FIELDS] = {0, 0, 0};
    uint8_t flags = 0;
    int has_id = 0;
    Field f;
    for (int t = 0; t < TEXT_FIELDS; t++) text_keys[t] = empty;

    p = skip_ws(p, end);
    if (p >= end || *p++ != '{') return 0;
    for (int k = 0; k < rules->nkeys; k++) {
        p = skip_ws(p, end);
        if (k > 0) {
            if (p >= end || *p++ != ',') return 0;
            p = skip_ws(p, end);
        }
        if (p >= end || *p++ != '"') return 0;
        const uint8_t *name = p;
        while (p < end && *p != '"') {
            if (*p == '\\' || *p < 0x20 || *p >= 0x80) return 0; /* escaped or non-ASCII keys: the exact reader */
            p++;
        }
        if (p >= end) return 0;
        Py_ssize_t name_len = p - name;
        p++;
        if (first) {
            rules->keys[k].start = name;
            rules->keys[k].len = name_len;
        } else if (rules->keys[k].len != name_len || memcmp(rules->keys[k].start, name, (size_t)name_len) != 0) {
            return 0;
        }
        p = skip_ws(p, end);
        if (p >= end || *p++ != ':') return 0;
        p = skip_ws(p, end);
        if (p >= end || *p++ != '"') return 0;
        int role = rules->roles[k];
        field_start(&f, role, rules->scratch);
        if (!json_string(&p, end, &f)) return 0;
        if (role == ROLE_OTHER) continue;
        if (f.chars > rules->max_field_chars) return 0; /* the exact reader says field_too_long */
        if (role == ROLE_ID) {
            Key id = hash_bytes(f.out, f.len);
            out->ids[row * 2] = id.a;
            out->ids[row * 2 + 1] = id.b;
            has_id = 1;
            continue;
        }
        int t = role - ROLE_INSTRUCTION;
        text_keys[t] = hash_bytes(f.out, f.len);
        chars[t] = (int32_t)f.chars;
        words[t] = (int32_t)f.words;
        flags |= f.flags;
        if (role == ROLE_INPUT && placeholder_match(&f, rules->placeholders, rules->placeholders_len)) flags |= FLAG_PLACEHOLDER;
    }
    p = skip_ws(p, end);
    if (p >= end || *p++ != '}') return 0;
    p = skip_ws(p, end);
    if (p != end) return 0;

    memcpy(out->chars + row * 3, chars, sizeof chars);
    memcpy(out->words + row * 3, words, sizeof words);
    Key key = combine(text_keys);
    out->keys[row * 2] = key.a;
    out->keys[row * 2 + 1] = key.b;
    if (!has_id) out->ids[row * 2] = out->ids[row * 2 + 1] = 0;
    out->flags[row] = flags;
    return 1;
}

static int scan_lines(const uint8_t *data, Py_ssize_t size, Py_ssize_t rows, Rules *rules, Out *out) {
    const uint8_t *p = data, *end = data + size;
    for (Py_ssize_t row = 0; row < rows; row++) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL || nl - p > rules->max_line_bytes) return 0;
        out->offsets[row] = p - data;
        if (!scan_line(p, nl, rules, row == 0, out, row)) return 0;
        p = nl + 1;
    }
    return p == end;
}

static Py_ssize_t count_lines(const uint8_t *p, Py_ssize_t size) {
    Py_ssize_t n = 0;
    const uint8_t *end = p + size;
    while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        n++;
        p++;
    }
    return n;
}

PyDoc_STRVAR(scan_block_doc,
"scan_block(block, roles, max_line_bytes, max_field_chars, placeholders) -> tuple of bytes | None\n\n"
"block: whole lines, each ending in a newline. roles: one byte per key of the first line (0 other, 1 instruction,\n"
"2 input, 3 output, 4 id). placeholders: normalized lowercase placeholder inputs joined by NUL bytes.\n"
"Returns (offsets int64[n], chars int32[n,3], words int32[n,3], keys uint64[n,2], ids uint64[n,2], flags uint8[n]),\n"
"or None when a line is not a plain row.");

static PyObject *scan_block(PyObject *self, PyObject *args) {
    Py_buffer block, roles, placeholders;
    Rules rules;
    if (!PyArg_ParseTuple(args, "y*y*nny*", &block, &roles, &rules.max_line_bytes, &rules.max_field_chars, &placeholders)) return NULL;
    PyObject *result = NULL, *bufs[6] = {NULL, NULL, NULL, NULL, NULL, NULL};
    const uint8_t *data = block.buf;
    Py_ssize_t size = block.len, rows;
    rules.roles = roles.buf;
    rules.nkeys = (int)roles.len;
    rules.placeholders = placeholders.buf;
    rules.placeholders_len = placeholders.len;
    rules.scratch = NULL;
    if (roles.len < 1 || roles.len > MAX_KEYS || size == 0 || data[size - 1] != '\n') {
        result = Py_NewRef(Py_None);
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    rows = count_lines(data, size);
    Py_END_ALLOW_THREADS
    Py_ssize_t sizes[6] = {rows * 8, rows * 12, rows * 12, rows * 16, rows * 16, rows};
    char *ptrs[6];
    for (int i = 0; i < 6; i++) {
        bufs[i] = PyBytes_FromStringAndSize(NULL, sizes[i]);
        if (bufs[i] == NULL) goto done;
        ptrs[i] = PyBytes_AS_STRING(bufs[i]);
    }
    rules.scratch = PyMem_RawMalloc((size_t)size + 1); /* a field's decoded text is never longer than its line */
    if (rules.scratch == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Out out = {(int64_t *)ptrs[0], (int32_t *)ptrs[1], (int32_t *)ptrs[2], (uint64_t *)ptrs[3], (uint64_t *)ptrs[4], (uint8_t *)ptrs[5]};
    int ok;
    Py_BEGIN_ALLOW_THREADS
    ok = scan_lines(data, size, rows, &rules, &out);
    Py_END_ALLOW_THREADS
    if (!ok) {
        result = Py_NewRef(Py_None);
        goto done;
    }
    result = PyTuple_New(6);
    if (result == NULL) goto done;
    for (int i = 0; i < 6; i++) {
        PyTuple_SET_ITEM(result, i, bufs[i]);
        bufs[i] = NULL;
    }
done:
    PyMem_RawFree(rules.scratch);
    for (int i = 0; i < 6; i++) Py_XDECREF(bufs[i]);
    PyBuffer_Release(&block);
    PyBuffer_Release(&roles);
    PyBuffer_Release(&placeholders);
    return result;
}

/* Hash a Python str as a field of the given role would be: normalized for text, as is for an id. */
static int hash_str(PyObject *text, int role, Field *f, Key *key) {
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(text, &n);
    if (s == NULL) return 0;
    uint8_t *scratch = PyMem_Malloc((size_t)n + 1);
    if (scratch == NULL) {
        PyErr_NoMemory();
        return 0;
    }
    field_start(f, role, scratch);
    int ok = field_utf8(f, (const uint8_t *)s, (const uint8_t *)s + n);
    if (ok) *key = hash_bytes(f->out, f->len);
    else PyErr_SetString(PyExc_ValueError, "invalid UTF-8");
    PyMem_Free(scratch);
    return ok;
}

PyDoc_STRVAR(hash_fields_doc,
"hash_fields(instruction, input, output) -> int\n\n"
"The 128-bit exact-duplicate key scan_block gives a row with these texts (whitespace collapsed, ends trimmed).");

static PyObject *hash_fields(PyObject *self, PyObject *args) {
    PyObject *texts[TEXT_FIELDS];
    if (!PyArg_ParseTuple(args, "UUU", &texts[0], &texts[1], &texts[2])) return NULL;
    Key keys[TEXT_FIELDS];
    Field f;
    for (int t = 0; t < TEXT_FIELDS; t++)
        if (!hash_str(texts[t], ROLE_INSTRUCTION + t, &f, &keys[t])) return NULL;
    return key_to_int(combine(keys));
}

PyDoc_STRVAR(hash_text_doc, "hash_text(text) -> int\n\nThe 128-bit hash scan_block gives an id with this text (taken as is).");

static PyObject *hash_text(PyObject *self, PyObject *arg) {
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "hash_text() needs a str");
        return NULL;
    }
    Key key;
    Field f;
    if (!hash_str(arg, ROLE_ID, &f, &key)) return NULL;
    return key_to_int(key);
}

PyDoc_STRVAR(nfc_unsafe_doc, "nfc_unsafe(code_point) -> bool\n\nWhether a text holding this code point may not be NFC.");

static PyObject *nfc_unsafe_py(PyObject *self, PyObject *arg) {
    unsigned long cp = PyLong_AsUnsignedLong(arg);
    if (cp == (unsigned long)-1 && PyErr_Occurred()) return NULL;
    if (cp >= 0x110000) {
        PyErr_SetString(PyExc_ValueError, "not a code point");
        return NULL;
    }
    return PyBool_FromLong(is_nfc_unsafe((uint32_t)cp));
}

static PyMethodDef methods[] = {
    {"scan_block", scan_block, METH_VARARGS, scan_block_doc},
    {"hash_fields", hash_fields, METH_VARARGS, hash_fields_doc},
    {"hash_text", hash_text, METH_O, hash_text_doc},
    {"nfc_unsafe", nfc_unsafe_py, METH_O, nfc_unsafe_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_scan", "A one-pass scanner of flat JSONL rows for `curate check`.", -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__scan(void) {
    init_text_tables();
    if (PyType_Ready(&KeySetType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    Py_INCREF(&KeySetType);
    if (PyModule_AddObject(m, "KeySet", (PyObject *)&KeySetType) < 0) {
        Py_DECREF(&KeySetType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
