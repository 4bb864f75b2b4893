/* Checks pthreads and TLS: 16 threads with private __thread counters, a mutex-protected sum, cond ping-pong. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include "testlib.h"

#define NTHREADS 16
#define ITERATIONS 100000
#define PINGPONGS 1000

static __thread volatile int tls_counter;
static __thread int tls_initialized = 1234; /* non-zero initial value: comes from the TLS image */
static pthread_mutex_t sum_lock = PTHREAD_MUTEX_INITIALIZER;
static long total;
static uintptr_t main_tls_addr;
static uintptr_t thread_tls_addr[NTHREADS];
static int tls_fresh[NTHREADS];
static pthread_barrier_t all_alive; /* keeps all 16 threads (and their TLS blocks) alive at once */

static void *worker(void *arg)
{
    int idx = (int)(intptr_t)arg;
    thread_tls_addr[idx] = (uintptr_t)&tls_counter;
    tls_fresh[idx] = tls_counter == 0 && tls_initialized == 1234;
    pthread_barrier_wait(&all_alive);
    for (int i = 0; i < ITERATIONS; i++)
        tls_counter++;
    pthread_mutex_lock(&sum_lock);
    total += tls_counter;
    pthread_mutex_unlock(&sum_lock);
    return (void *)(intptr_t)(idx + 1000);
}

/* ping-pong: turn 0 means the pinger may go, turn 1 the ponger */
static pthread_mutex_t pp_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pp_cond = PTHREAD_COND_INITIALIZER;
static int turn, pongs;

static void *ponger(void *arg)
{
    (void)arg;
    for (int i = 0; i < PINGPONGS; i++) {
        pthread_mutex_lock(&pp_lock);
        while (turn != 1)
            pthread_cond_wait(&pp_cond, &pp_lock);
        pongs++;
        turn = 0;
        pthread_cond_signal(&pp_cond);
        pthread_mutex_unlock(&pp_lock);
    }
    return NULL;
}

int main(void)
{
    pthread_t tid[NTHREADS];
    tls_counter = -5; /* the main thread's copy must not leak into the workers */
    main_tls_addr = (uintptr_t)&tls_counter;
    pthread_barrier_init(&all_alive, NULL, NTHREADS);

    int created = 1;
    for (int i = 0; i < NTHREADS; i++)
        if (pthread_create(&tid[i], NULL, worker, (void *)(intptr_t)i) != 0)
            created = 0;
    check("16 threads created", created);
    int joined = 1;
    for (int i = 0; i < NTHREADS; i++) {
        void *ret;
        if (pthread_join(tid[i], &ret) != 0 || ret != (void *)(intptr_t)(i + 1000))
            joined = 0;
    }
    check("16 threads joined with their return values", joined);
    printf("total=%ld (expected %d)\n", total, NTHREADS * ITERATIONS);
    check("total correct", total == (long)NTHREADS * ITERATIONS);

    int differs = 1, distinct = 1, fresh = 1;
    for (int i = 0; i < NTHREADS; i++) {
        if (thread_tls_addr[i] == main_tls_addr)
            differs = 0;
        for (int j = 0; j < i; j++)
            if (thread_tls_addr[i] == thread_tls_addr[j])
                distinct = 0;
        fresh &= tls_fresh[i];
    }
    check("every thread's __thread address differs from the main thread's", differs);
    check("the 16 threads' __thread addresses are distinct", distinct);
    check("every thread saw fresh TLS (counter 0, initializer 1234)", fresh);
    check("main thread's __thread counter untouched", tls_counter == -5);

    pthread_t p;
    pthread_create(&p, NULL, ponger, NULL);
    int pings = 0;
    for (int i = 0; i < PINGPONGS; i++) {
        pthread_mutex_lock(&pp_lock);
        while (turn != 0)
            pthread_cond_wait(&pp_cond, &pp_lock);
        pings++;
        turn = 1;
        pthread_cond_signal(&pp_cond);
        pthread_mutex_unlock(&pp_lock);
    }
    pthread_mutex_lock(&pp_lock);
    while (turn != 0)
        pthread_cond_wait(&pp_cond, &pp_lock);
    pthread_mutex_unlock(&pp_lock);
    pthread_join(p, NULL);
    printf("ping-pong: pings=%d pongs=%d\n", pings, pongs);
    check("cond ping-pong 1000 round trips", pings == PINGPONGS && pongs == PINGPONGS);

    return finish_checks();
}
