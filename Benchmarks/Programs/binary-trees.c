/* binary-trees of the Benchmarks Game in C, one malloc and one free per node: issue 11's
 * program without frame pointers when built `cc -O2` (gcc's default), with them when built
 * `-fno-omit-frame-pointer`. Usage: binary-trees DEPTH. */
#include <stdio.h>
#include <stdlib.h>

struct node {
    struct node *left, *right;
};

static struct node *make(int depth) {
    struct node *node = malloc(sizeof *node);
    if (!node) {
        perror("malloc");
        exit(1);
    }
    node->left = depth > 0 ? make(depth - 1) : NULL;
    node->right = depth > 0 ? make(depth - 1) : NULL;
    return node;
}

static long check(const struct node *node) {
    return 1 + (node->left ? check(node->left) + check(node->right) : 0);
}

static void release(struct node *node) {
    if (node->left) {
        release(node->left);
        release(node->right);
    }
    free(node);
}

int main(int argc, char **argv) {
    const int min_depth = 4;
    int max_depth = argc > 1 ? atoi(argv[1]) : 10;
    if (max_depth < min_depth + 2) max_depth = min_depth + 2;

    struct node *stretch = make(max_depth + 1);
    printf("stretch tree of depth %d\t check: %ld\n", max_depth + 1, check(stretch));
    release(stretch);

    struct node *long_lived = make(max_depth);
    for (int depth = min_depth; depth <= max_depth; depth += 2) {
        long iterations = 1L << (max_depth - depth + min_depth), sum = 0;
        for (long i = 0; i < iterations; i++) {
            struct node *tree = make(depth);
            sum += check(tree);
            release(tree);
        }
        printf("%ld\t trees of depth %d\t check: %ld\n", iterations, depth, sum);
    }
    printf("long lived tree of depth %d\t check: %ld\n", max_depth, check(long_lived));
    release(long_lived);
    return 0;
}
