/* The text side of curate.io._scan: code point classes, the 128-bit hash, and one field's decoding,
   normalization (whitespace runs to one space, ends trimmed), counts and flags. Included by _scan.c only. */
#ifndef CURATE_SCAN_TEXT_H
#define CURATE_SCAN_TEXT_H

#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "_nfc_ranges.h"

/* field_run reads eight bytes as one little-endian word (byte 0 is the low byte). Elsewhere the optional build
   fails here and `curate check` reads every line with the exact reader. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "curate.io._scan assumes a little-endian machine"
#endif

#define ROLE_OTHER 0
#define ROLE_INSTRUCTION 1
#define ROLE_INPUT 2
#define ROLE_OUTPUT 3
#define ROLE_ID 4
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

/* Fill the lookup tables; once, at import. */
static void init_text_tables(void) {
    for (int i = 0; i < NFC_UNSAFE_COUNT; i++)
        for (unsigned cp = NFC_UNSAFE[i][0]; cp <= NFC_UNSAFE[i][1]; cp++) nfc_unsafe[cp >> 3] |= (uint8_t)(1u << (cp & 7));
    for (int c = 0; c < 256; c++) ascii_class[c] = C_OTHER;
    for (int c = 0x21; c < 0x7F; c++) ascii_class[c] = (c == '"' || c == '\\') ? C_OTHER : C_WORD;
    ascii_class[' '] = C_SPACE;
}

#endif
