/* CTraceMalloc: the tracing core's C API, what Swift sees. */
#ifndef CTRACEMALLOC_H
#define CTRACEMALLOC_H
#endif
