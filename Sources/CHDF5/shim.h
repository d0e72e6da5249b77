// The HDF5 C API as Swift sees it. Swift cannot import most of HDF5's macros
// (they expand to function calls on global ids), so each one softq needs is
// re-exported here as a static inline function.
#ifndef SOFTQ_CHDF5_SHIM_H
#define SOFTQ_CHDF5_SHIM_H
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline unsigned softq_H5F_ACC_RDONLY(void) { return H5F_ACC_RDONLY; }
static inline unsigned softq_H5F_ACC_RDWR(void) { return H5F_ACC_RDWR; }
static inline unsigned softq_H5F_ACC_TRUNC(void) { return H5F_ACC_TRUNC; }
static inline unsigned softq_H5F_ACC_EXCL(void) { return H5F_ACC_EXCL; }

static inline hid_t softq_H5P_DEFAULT(void) { return H5P_DEFAULT; }
static inline hid_t softq_H5P_FILE_ACCESS(void) { return H5P_FILE_ACCESS; }
static inline hid_t softq_H5P_FILE_CREATE(void) { return H5P_FILE_CREATE; }
static inline hid_t softq_H5P_DATASET_CREATE(void) { return H5P_DATASET_CREATE; }
static inline hid_t softq_H5P_LINK_CREATE(void) { return H5P_LINK_CREATE; }
static inline hid_t softq_H5P_GROUP_CREATE(void) { return H5P_GROUP_CREATE; }
static inline hid_t softq_H5S_ALL(void) { return H5S_ALL; }
static inline haddr_t softq_HADDR_UNDEF(void) { return HADDR_UNDEF; }
static inline size_t softq_H5T_VARIABLE(void) { return H5T_VARIABLE; }
static inline hid_t softq_H5E_DEFAULT(void) { return H5E_DEFAULT; }

static inline hid_t softq_H5T_NATIVE_FLOAT(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t softq_H5T_NATIVE_DOUBLE(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t softq_H5T_NATIVE_INT8(void) { return H5T_NATIVE_INT8; }
static inline hid_t softq_H5T_NATIVE_UINT8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t softq_H5T_NATIVE_INT16(void) { return H5T_NATIVE_INT16; }
static inline hid_t softq_H5T_NATIVE_UINT16(void) { return H5T_NATIVE_UINT16; }
static inline hid_t softq_H5T_NATIVE_INT32(void) { return H5T_NATIVE_INT32; }
static inline hid_t softq_H5T_NATIVE_UINT32(void) { return H5T_NATIVE_UINT32; }
static inline hid_t softq_H5T_NATIVE_INT64(void) { return H5T_NATIVE_INT64; }
static inline hid_t softq_H5T_NATIVE_UINT64(void) { return H5T_NATIVE_UINT64; }
static inline hid_t softq_H5T_C_S1(void) { return H5T_C_S1; }

// H5Literate becomes a versioned macro in HDF5 1.12+; call through one name.
static inline herr_t softq_H5Literate(hid_t grp, H5_index_t idx_type, H5_iter_order_t order,
                                      hsize_t *idx, H5L_iterate_t op, void *op_data) {
#if H5_VERSION_GE(1, 12, 0)
    return H5Literate2(grp, idx_type, order, idx, op, op_data);
#else
    return H5Literate(grp, idx_type, order, idx, op, op_data);
#endif
}

// H5Oget_info also changed signature across versions; only the object type is needed.
static inline int softq_H5Oget_type_by_name(hid_t loc, const char *name, H5O_type_t *type) {
#if H5_VERSION_GE(1, 12, 0)
    H5O_info2_t info;
    herr_t st = H5Oget_info_by_name3(loc, name, &info, H5O_INFO_BASIC, H5P_DEFAULT);
#elif H5_VERSION_GE(1, 10, 3)
    H5O_info_t info;
    herr_t st = H5Oget_info_by_name2(loc, name, &info, H5O_INFO_BASIC, H5P_DEFAULT);
#else
    H5O_info_t info;
    herr_t st = H5Oget_info_by_name(loc, name, &info, H5P_DEFAULT);
#endif
    if (st < 0) return -1;
    *type = info.type;
    return 0;
}

// The identity of an object (file number + address/token), so a walk can tell when two links
// lead to the same object (hard-link cycles and aliases). Also returns the object's type.
typedef struct { unsigned long fileno; unsigned char token[16]; } softq_object_key;
static inline int softq_H5Oget_key_by_name(hid_t loc, const char *name, H5O_type_t *type,
                                           softq_object_key *key) {
    memset(key, 0, sizeof *key);
#if H5_VERSION_GE(1, 12, 0)
    H5O_info2_t info;
    if (H5Oget_info_by_name3(loc, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) return -1;
    memcpy(key->token, &info.token, sizeof info.token < 16 ? sizeof info.token : 16);
#elif H5_VERSION_GE(1, 10, 3)
    H5O_info_t info;
    if (H5Oget_info_by_name2(loc, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) return -1;
    memcpy(key->token, &info.addr, sizeof info.addr);
#else
    H5O_info_t info;
    if (H5Oget_info_by_name(loc, name, &info, H5P_DEFAULT) < 0) return -1;
    memcpy(key->token, &info.addr, sizeof info.addr);
#endif
    key->fileno = info.fileno;
    *type = info.type;
    return 0;
}

// The type of the link `name` (the last path component is not followed; earlier ones are).
// For soft and external links, `target` receives where the link points ("path", or
// "file:path"), truncated to `cap` bytes; it is empty for hard links.
static inline int softq_link_type(hid_t loc, const char *name, H5L_type_t *type, char *target, size_t cap) {
    if (cap) target[0] = 0;
#if H5_VERSION_GE(1, 12, 0)
    H5L_info2_t info;
    if (H5Lget_info2(loc, name, &info, H5P_DEFAULT) < 0) return -1;
    size_t vsize = info.u.val_size;
#else
    H5L_info_t info;
    if (H5Lget_info(loc, name, &info, H5P_DEFAULT) < 0) return -1;
    size_t vsize = info.u.val_size;
#endif
    *type = info.type;
    if (info.type == H5L_TYPE_HARD || cap == 0) return 0;
    // Link values are small (a path); refuse to read absurd ones rather than allocate them.
    if (vsize == 0 || vsize > (1u << 16)) return 0;
    char *val = (char *)malloc(vsize);
    if (!val) return 0;
    if (H5Lget_val(loc, name, val, vsize, H5P_DEFAULT) >= 0) {
        if (info.type == H5L_TYPE_SOFT) {
            snprintf(target, cap, "%.*s", (int)vsize, val);
        } else if (info.type == H5L_TYPE_EXTERNAL) {
            const char *file = NULL, *obj = NULL;
            unsigned flags = 0;
            if (H5Lunpack_elink_val(val, vsize, &flags, &file, &obj) >= 0)
                snprintf(target, cap, "%s:%s", file ? file : "?", obj ? obj : "?");
        }
    }
    free(val);
    return 0;
}

// Collects the current error stack as text ("func: description; ...") into buf, innermost
// last, and clears it. Swift turns this into a typed error that names the file and object.
typedef struct { char *buf; size_t cap; size_t len; } softq_estack_acc;
static herr_t softq_estack_walk(unsigned n, const H5E_error2_t *err, void *data) {
    (void)n;
    softq_estack_acc *acc = (softq_estack_acc *)data;
    if (acc->len + 2 >= acc->cap) return 0;
    int w = snprintf(acc->buf + acc->len, acc->cap - acc->len, "%s%s: %s",
                     acc->len ? "; " : "", err->func_name ? err->func_name : "?",
                     err->desc ? err->desc : "");
    if (w > 0) acc->len += (size_t)w;
    if (acc->len >= acc->cap) acc->len = acc->cap - 1;
    return 0;
}
static inline void softq_error_stack_text(char *buf, size_t cap) {
    softq_estack_acc acc = { buf, cap, 0 };
    if (cap) buf[0] = 0;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, softq_estack_walk, &acc);
    H5Eclear2(H5E_DEFAULT);
}
static inline void softq_disable_error_printing(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

// Frees the strings HDF5 allocated for a variable-length string read.
static inline herr_t softq_vlen_reclaim(hid_t type, hid_t space, void *buf) {
#if H5_VERSION_GE(1, 12, 0)
    return H5Treclaim(type, space, H5P_DEFAULT, buf);
#else
    return H5Dvlen_reclaim(type, space, H5P_DEFAULT, buf);
#endif
}
#endif
