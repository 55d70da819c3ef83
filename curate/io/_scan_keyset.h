/* KeySet for curate.io._scan: a set of 128-bit keys as Python ints, 16 bytes a key. Included by _scan.c only. */
#ifndef CURATE_SCAN_KEYSET_H
#define CURATE_SCAN_KEYSET_H

#include "_scan_text.h"

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

#endif
