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

#include "_nfc_ranges.h"

#define ROLE_OTHER 0
#define ROLE_INSTRUCTION 1
#define ROLE_INPUT 2
#define ROLE_OUTPUT 3
#define ROLE_ID 4
#define MAX_KEYS 32
#define TEXT_FIELDS 3

#define FLAG_CONTROL 1     /* a C0/C1 control character other than \t \n \r, or DEL */
#define FLAG_NFC 2         /* a code point after which the text may not be NFC */
#define FLAG_PLACEHOLDER 4 /* the input may be a placeholder such as <noinput> */

#define PLACEHOLDER_MAX 32 /* bytes: a longer normalized input is no placeholder */

static uint8_t nfc_unsafe[0x110000 / 8];

static inline int is_nfc_unsafe(uint32_t cp) { return (nfc_unsafe[cp >> 3] >> (cp & 7)) & 1; }

/* Every code point str.isspace() accepts (Python's str.split() and re's \s use the same set). */
static inline int is_space(uint32_t cp) {
    if (cp < 0x80) return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x1F);
    return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
           cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/* curate.text.CONTROL_CHARS: [\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f] */
static inline int is_control(uint32_t cp) {
    return cp <= 0x08 || cp == 0x0B || cp == 0x0C || (cp >= 0x0E && cp <= 0x1F) || (cp >= 0x7F && cp <= 0x9F);
}

/* ---- a 128-bit hash of a byte string: two 64-bit lanes fed eight bytes at a time ---- */

static inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static inline uint64_t fmix(uint64_t k) {
    k ^= k >> 33;
    k *= 0xFF51AFD7ED558CCDULL;
    k ^= k >> 33;
    k *= 0xC4CEB9FE1A85EC53ULL;
    return k ^ (k >> 33);
}

typedef struct {
    uint64_t a, b;
} Key;

static inline void mix(Key *h, uint64_t w) {
    h->a ^= rotl(w * 0x87C37B91114253D5ULL, 31) * 0x4CF5AD432745937FULL;
    h->a = rotl(h->a, 27) * 5 + 0x52DCE729;
    h->b ^= rotl(w * 0x4CF5AD432745937FULL, 33) * 0x87C37B91114253D5ULL;
    h->b = rotl(h->b, 31) * 5 + 0x38495AB5;
}

static inline Key finish(Key h, uint64_t length) {
    mix(&h, length);
    uint64_t x = fmix(h.a), y = fmix(h.b);
    Key out = {x + y, 0};
    out.b = y + out.a;
    return out;
}

/* Byte order is the machine's: keys are compared within one run, never stored. */
static Key hash_bytes(const uint8_t *s, Py_ssize_t n) {
    Key h = {0x5EED0001C0FFEE11ULL, 0x5EED0002BADC0DE5ULL};
    Py_ssize_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        mix(&h, w);
    }
    uint64_t w = 0;
    if (n > i) memcpy(&w, s + i, (size_t)(n - i));
    mix(&h, w);
    return finish(h, (uint64_t)n);
}

/* The exact-duplicate key of the three text fields: their hashes, combined in a fixed order. */
static Key combine(const Key *keys) {
    Key h = {0x5EED0003DEADBEEFULL, 0x5EED0004FEEDFACEULL};
    for (int t = 0; t < TEXT_FIELDS; t++) {
        mix(&h, keys[t].a);
        mix(&h, keys[t].b);
    }
    return finish(h, TEXT_FIELDS);
}

/* ---- one field: its text is decoded into a scratch buffer, normalized for text fields, then hashed ---- */

#define C_WORD 0  /* printable ASCII other than space, quote and backslash */
#define C_SPACE 1 /* the space */
#define C_OTHER 2 /* quote, backslash, controls, DEL, non-ASCII: one at a time */
static uint8_t ascii_class[256];

typedef struct {
    int role;     /* ROLE_*: text fields are normalized (whitespace runs to one space, ends trimmed), the id kept as is */
    uint8_t *out; /* scratch: one byte longer than the line */
    Py_ssize_t len;
    int64_t chars, words;
    int in_word, pending_space, ascii;
    uint8_t flags;
} Field;

static inline void field_start(Field *f, int role, uint8_t *scratch) {
    f->role = role;
    f->out = scratch;
    f->len = 0;
    f->chars = f->words = 0;
    f->in_word = f->pending_space = 0;
    f->ascii = 1;
    f->flags = 0;
}

static inline int is_text(const Field *f) { return f->role >= ROLE_INSTRUCTION && f->role <= ROLE_OUTPUT; }

/* One code point outside the plain-ASCII runs, with its UTF-8 bytes. */
static void field_cp(Field *f, uint32_t cp, const uint8_t *bytes, int n) {
    f->chars++;
    if (f->role == ROLE_OTHER) return;
    if (f->role == ROLE_ID) {
        memcpy(f->out + f->len, bytes, (size_t)n);
        f->len += n;
        return;
    }
    if (cp >= 0x80) f->ascii = 0;
    if (is_control(cp)) f->flags |= FLAG_CONTROL;
    if (cp >= 0x80 && is_nfc_unsafe(cp)) f->flags |= FLAG_NFC;
    if (is_space(cp)) {
        if (f->in_word) f->pending_space = 1;
        f->in_word = 0;
        return;
    }
    if (!f->in_word) {
        f->words++;
        f->in_word = 1;
        if (f->pending_space) {
            f->out[f->len++] = ' ';
            f->pending_space = 0;
        }
    }
    memcpy(f->out + f->len, bytes, (size_t)n);
    f->len += n;
}

/* Eight bytes at a time (SWAR): 0x80 in each byte of a mask marks the bytes a test holds for. */
#define ONES 0x0101010101010101ULL
#define HIGH 0x8080808080808080ULL

static inline uint64_t any_below(uint64_t x, uint8_t n) { return (x - ONES * n) & ~x & HIGH; } /* exact for n <= 0x80 */
static inline uint64_t any_equal(uint64_t x, uint8_t c) { return any_below(x ^ (ONES * c), 1); }

/* Whether any of the eight bytes is C_OTHER: a control, DEL, non-ASCII, quote or backslash. */
static inline int any_other(uint64_t x) {
    return (any_below(x, 0x20) | (x & HIGH) | any_equal(x, 0x7F) | any_equal(x, '"') | any_equal(x, '\\')) != 0;
}

/* The hot loop: a run of printable ASCII. Returns where the run stops. */
static inline const uint8_t *field_run(Field *f, const uint8_t *p, const uint8_t *end) {
    const uint8_t *start = p;
    if (!is_text(f)) {
        uint64_t x;
        while (end - p >= 8 && (memcpy(&x, p, 8), !any_other(x))) p += 8;
        while (p < end && ascii_class[*p] != C_OTHER) p++;
        if (f->role == ROLE_ID) {
            memcpy(f->out + f->len, start, (size_t)(p - start));
            f->len += p - start;
        }
        f->chars += p - start;
        return p;
    }
    uint8_t *w = f->out + f->len;
    int in_word = f->in_word, pending = f->pending_space;
    int64_t words = f->words;
    for (;;) {
        /* Eight word characters and single spaces inside the text are already normalized: copied as they are. */
        while (end - p >= 8) {
            uint64_t x;
            memcpy(&x, p, 8);
            if (any_other(x)) break;
            uint64_t space = ~((x | HIGH) - ONES * 0x21) & HIGH; /* exact: every byte is 0x20..0x7E here */
            if ((space & (space << 8)) || (!in_word && (space & 0x80))) break; /* a run of spaces, or one to trim */
            words += __builtin_popcountll(~space & HIGH & ((space << 8) | (in_word ? 0 : 0x80)));
            if (pending) *w++ = ' '; /* the space deferred before this word */
            int ends_in_space = (int)(space >> 63);
            memcpy(w, p, 8);
            w += 8 - ends_in_space; /* a final space waits: the text may end, or more spaces follow */
            pending = ends_in_space;
            in_word = !ends_in_space;
            p += 8;
        }
        /* Byte by byte, branch-free (a word boundary every few bytes defeats branch prediction), for up to eight
           bytes; the scratch has a spare byte, so writes that do not advance w stay inside it. */
        const uint8_t *stop = end - p > 8 ? p + 8 : end;
        for (; p < stop; p++) {
            uint8_t c = *p, k = ascii_class[c];
            if (k == C_OTHER) goto done;
            int word = k == C_WORD, begins = word & !in_word;
            words += begins;
            *w = ' ';
            w += begins & pending;
            *w = c;
            w += word;
            pending = (pending | in_word) & !word;
            in_word = word;
        }
        if (p >= end) break;
    }
done:
    f->len = w - f->out;
    f->in_word = in_word;
    f->pending_space = pending;
    f->words = words;
    f->chars += p - start;
    return p;
}

/* Placeholders, normalized and lowercased, separated by NUL bytes (from Python). */
static int placeholder_match(const Field *f, const char *list, Py_ssize_t list_len) {
    if (f->len == 0 || f->len > PLACEHOLDER_MAX) return 0;
    uint8_t lower[PLACEHOLDER_MAX];
    for (Py_ssize_t i = 0; i < f->len; i++) {
        uint8_t c = f->out[i];
        lower[i] = (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
    }
    const char *p = list, *end = list + list_len;
    size_t longest = 0;
    while (p < end) {
        size_t n = strnlen(p, (size_t)(end - p));
        if (f->ascii && (Py_ssize_t)n == f->len && memcmp(p, lower, n) == 0) return 1;
        if (n > longest) longest = n;
        p += n + 1;
    }
    /* Beyond ASCII, casefold can turn a short text into a placeholder (the Kelvin sign folds to k): Python decides. */
    return !f->ascii && f->chars <= (int64_t)longest;
}

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

static inline int utf8_encode(uint32_t cp, uint8_t *out) {
    if (cp < 0x80) { out[0] = (uint8_t)cp; return 1; }
    if (cp < 0x800) { out[0] = (uint8_t)(0xC0 | (cp >> 6)); out[1] = (uint8_t)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | (cp >> 12));
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | (cp >> 18));
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* A valid UTF-8 sequence at p (before end): its length and code point, or 0. Surrogates and overlongs are invalid. */
static inline int utf8_decode(const uint8_t *p, const uint8_t *end, uint32_t *cp) {
    uint8_t c = p[0];
    if (c >= 0xC2 && c <= 0xDF) {
        if (end - p < 2 || (p[1] & 0xC0) != 0x80) return 0;
        *cp = ((uint32_t)(c & 0x1F) << 6) | (p[1] & 0x3F);
        return 2;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        if (end - p < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return 0;
        if (c == 0xE0 && p[1] < 0xA0) return 0;
        if (c == 0xED && p[1] > 0x9F) return 0;
        *cp = ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (end - p < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80) return 0;
        if (c == 0xF0 && p[1] < 0x90) return 0;
        if (c == 0xF4 && p[1] > 0x8F) return 0;
        *cp = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) | ((uint32_t)(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
        return 4;
    }
    return 0;
}

/* Text already decoded (UTF-8 of a Python str): the same normalization as a JSON string's. */
static int field_utf8(Field *f, const uint8_t *p, const uint8_t *end) {
    while (p < end) {
        p = field_run(f, p, end);
        if (p >= end) break;
        uint32_t cp;
        int n = *p < 0x80 ? 1 : utf8_decode(p, end, &cp);
        if (n == 0) return 0;
        if (n == 1) cp = *p;
        field_cp(f, cp, p, n);
        p += n;
    }
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

static PyObject *key_to_int(Key key) {
    PyObject *high = PyLong_FromUnsignedLongLong(key.a), *low = NULL, *shift = NULL, *shifted = NULL, *out = NULL;
    if (high == NULL) return NULL;
    if ((low = PyLong_FromUnsignedLongLong(key.b)) && (shift = PyLong_FromLong(64)) && (shifted = PyNumber_Lshift(high, shift)))
        out = PyNumber_Or(shifted, low);
    Py_XDECREF(high);
    Py_XDECREF(low);
    Py_XDECREF(shift);
    Py_XDECREF(shifted);
    return out;
}

static int int_to_key(PyObject *value, Key *key) {
    if (!PyLong_Check(value)) {
        PyErr_SetString(PyExc_TypeError, "a key is an int");
        return 0;
    }
    PyObject *shift = PyLong_FromLong(64), *high = NULL;
    if (shift != NULL) high = PyNumber_Rshift(value, shift);
    Py_XDECREF(shift);
    if (high == NULL) return 0;
    key->a = PyLong_AsUnsignedLongLongMask(high);
    key->b = PyLong_AsUnsignedLongLongMask(value);
    Py_DECREF(high);
    return !PyErr_Occurred();
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

#define PREFETCH_AHEAD 16

/* ---- KeySet: a set of 128-bit keys, 16 bytes a key (a Python set of ints takes about 100) ---- */

typedef struct {
    PyObject_HEAD
    Key *slots; /* open addressing, linear probing; {0, 0} marks an empty slot */
    Py_ssize_t capacity, used;
    int has_zero; /* the key {0, 0} itself */
    int busy;     /* add_pairs is running without the GIL */
} KeySet;

static int keyset_free(KeySet *set) {
    if (!set->busy) return 1;
    PyErr_SetString(PyExc_RuntimeError, "KeySet is being changed by another thread");
    return 0;
}

static int keyset_grow(KeySet *set) {
    Py_ssize_t capacity = set->capacity ? set->capacity * 2 : 1024;
    Key *slots = PyMem_RawCalloc((size_t)capacity, sizeof(Key));
    if (slots == NULL) return 0;
    for (Py_ssize_t i = 0; i < set->capacity; i++) {
        Key k = set->slots[i];
        if (k.a == 0 && k.b == 0) continue;
        Py_ssize_t j = (Py_ssize_t)(k.a & (uint64_t)(capacity - 1));
        while (slots[j].a != 0 || slots[j].b != 0) j = (j + 1) & (capacity - 1);
        slots[j] = k;
    }
    PyMem_RawFree(set->slots);
    set->slots = slots;
    set->capacity = capacity;
    return 1;
}

/* 1: added, 0: already there, -1: out of memory. */
static int keyset_add(KeySet *set, Key k) {
    if (k.a == 0 && k.b == 0) {
        int added = !set->has_zero;
        set->has_zero = 1;
        return added;
    }
    if ((set->used + 1) * 2 > set->capacity && !keyset_grow(set)) return -1;
    Py_ssize_t mask = set->capacity - 1, j = (Py_ssize_t)(k.a & (uint64_t)mask);
    while (set->slots[j].a != 0 || set->slots[j].b != 0) {
        if (set->slots[j].a == k.a && set->slots[j].b == k.b) return 0;
        j = (j + 1) & mask;
    }
    set->slots[j] = k;
    set->used++;
    return 1;
}

static void keyset_dealloc(KeySet *set) {
    PyMem_RawFree(set->slots);
    Py_TYPE(set)->tp_free((PyObject *)set);
}

static PyObject *keyset_add_py(KeySet *set, PyObject *value) {
    Key k;
    if (!keyset_free(set) || !int_to_key(value, &k)) return NULL;
    int added = keyset_add(set, k);
    if (added < 0) return PyErr_NoMemory();
    return PyBool_FromLong(added);
}

static PyObject *keyset_add_pairs(KeySet *set, PyObject *arg) {
    Py_buffer pairs;
    if (!keyset_free(set) || !PyArg_Parse(arg, "y*", &pairs)) return NULL;
    Py_ssize_t n = pairs.len / 16;
    PyObject *seen = PyBytes_FromStringAndSize(NULL, n);
    if (seen == NULL) {
        PyBuffer_Release(&pairs);
        return NULL;
    }
    uint8_t *mask = (uint8_t *)PyBytes_AS_STRING(seen);
    const uint64_t *words = pairs.buf;
    int failed = 0;
    set->busy = 1; /* the GIL is released below: another thread's add() must not touch the table meanwhile */
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) {
        if (i + PREFETCH_AHEAD < n && set->capacity) /* a table larger than the cache: fetch the slot early */
            __builtin_prefetch(&set->slots[words[2 * (i + PREFETCH_AHEAD)] & (uint64_t)(set->capacity - 1)]);
        Key k = {words[2 * i], words[2 * i + 1]};
        int added = keyset_add(set, k);
        if (added < 0) {
            failed = 1;
            break;
        }
        mask[i] = (uint8_t)!added;
    }
    Py_END_ALLOW_THREADS
    set->busy = 0;
    PyBuffer_Release(&pairs);
    if (failed) {
        Py_DECREF(seen);
        return PyErr_NoMemory();
    }
    return seen;
}

static Py_ssize_t keyset_len(KeySet *set) { return set->used + set->has_zero; }

static PyMethodDef keyset_methods[] = {
    {"add", (PyCFunction)keyset_add_py, METH_O, "add(key: int) -> bool: True when the key was not in the set."},
    {"add_pairs", (PyCFunction)keyset_add_pairs, METH_O,
     "add_pairs(uint64[n, 2] buffer) -> bytes[n]: 1 where the key was already there (earlier in the set or the buffer)."},
    {NULL, NULL, 0, NULL},
};

static PySequenceMethods keyset_sequence = {.sq_length = (lenfunc)keyset_len};

static PyTypeObject KeySetType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "curate.io._scan.KeySet",
    .tp_doc = "A set of 128-bit keys (ints), as hash_fields, hash_text and scan_block make them.",
    .tp_basicsize = sizeof(KeySet),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_dealloc = (destructor)keyset_dealloc,
    .tp_methods = keyset_methods,
    .tp_as_sequence = &keyset_sequence,
};

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
    for (int i = 0; i < NFC_UNSAFE_COUNT; i++)
        for (unsigned cp = NFC_UNSAFE[i][0]; cp <= NFC_UNSAFE[i][1]; cp++) nfc_unsafe[cp >> 3] |= (uint8_t)(1u << (cp & 7));
    for (int c = 0; c < 256; c++) ascii_class[c] = C_OTHER;
    for (int c = 0x21; c < 0x7F; c++) ascii_class[c] = (c == '"' || c == '\\') ? C_OTHER : C_WORD;
    ascii_class[' '] = C_SPACE;
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
