// The freestanding loader's malloc: a bump allocator over 1 MiB chunks,
// replacing musl's (which musl supports in a static link). An exec allocates
// a few hundred KiB in all and is over in well under a millisecond, while
// musl's malloc gives each group of slots back to the kernel the moment it
// empties: an mmap and a munmap per burst of allocations, two thirds of the
// loader's own system calls. Here free takes back only the latest block,
// and the chunks go with the rest of the loader at the handoff.
// Only in the freestanding build: the tests' process keeps glibc's malloc.
#ifdef ELF32_EXEC_FREESTANDING

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

// Every block is preceded by its size, in a 16-byte header (keeps the
// blocks 16-byte aligned, as malloc must).
enum { header_size = 16, chunk_size = 1 << 20 };

static uintptr_t next, end;

// The first chunk: zero-fill memory that the kernel's exec maps with the
// image (one mmap less per exec); pages cost only when touched. It lies in
// .lbss, which the link places after .bss: musl's few variables then share
// the page of .data, and the first blocks the end of that page.
__asm__(".section .lbss, \"aw\", @nobits\n"
        ".balign 16\n"
        "loader_heap_first_chunk: .zero 1 << 20\n"
        ".previous");
extern unsigned char loader_heap_first_chunk[chunk_size];

static size_t block_size(void *block) { return ((size_t *)block)[-1]; }

static void *allocate(size_t size, size_t alignment) {
    if (alignment < header_size) alignment = header_size;
    if (size > SIZE_MAX / 2 || alignment > chunk_size) { errno = ENOMEM; return NULL; }
    if (next == 0) {
        next = (uintptr_t)loader_heap_first_chunk;
        end = next + chunk_size;
    }
    uintptr_t start = (next + header_size + alignment - 1) & ~(alignment - 1);
    if (start + size > end) {
        size_t length = size + header_size + alignment;
        length = length > chunk_size ? (length + 4095) & ~(size_t)4095 : chunk_size;
        void *chunk = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (chunk == MAP_FAILED) { errno = ENOMEM; return NULL; }
        next = (uintptr_t)chunk;
        end = next + length;
        start = (next + header_size + alignment - 1) & ~(alignment - 1);
    }
    ((size_t *)start)[-1] = size;
    next = start + size;
    return (void *)start;
}

void *malloc(size_t size) { return allocate(size, header_size); }

void free(void *block) {
    if (block && (uintptr_t)block + block_size(block) == next) next = (uintptr_t)block - header_size;
}

void *calloc(size_t count, size_t size) {
    if (size && count > SIZE_MAX / size) { errno = ENOMEM; return NULL; }
    void *block = malloc(count * size);
    return block ? memset(block, 0, count * size) : NULL;  // freed memory is reused
}

void *realloc(void *block, size_t size) {
    if (!block) return malloc(size);
    size_t old = block_size(block);
    if ((uintptr_t)block + old == next && (uintptr_t)block + size <= end) {  // the latest: grow or shrink in place
        ((size_t *)block)[-1] = size;
        next = (uintptr_t)block + size;
        return block;
    }
    void *moved = malloc(size);
    if (moved) memcpy(moved, block, old < size ? old : size);
    return moved;
}

void *aligned_alloc(size_t alignment, size_t size) { return allocate(size, alignment); }

void *memalign(size_t alignment, size_t size) { return allocate(size, alignment); }

int posix_memalign(void **result, size_t alignment, size_t size) {
    if (alignment < sizeof(void *) || (alignment & (alignment - 1))) return EINVAL;
    void *block = allocate(size, alignment);
    if (!block) return ENOMEM;
    *result = block;
    return 0;
}

size_t malloc_usable_size(void *block) { return block ? block_size(block) : 0; }

#endif
