/*
 * tlsbench: the C reference for the OpenSslTls benchmarks, the "physical limit" the C# library is compared with.
 *
 * It drives the same libssl the same way OpenSslTls does: one SSL per side, each over a custom BIO that reads the
 * peer's ciphertext straight from a caller buffer and appends its own ciphertext to another caller buffer (no memory
 * BIO copies), client and server pumped back to back in one thread. The SSL_CTX settings repeat the calls
 * OpenSslTls's SslContextBuilder makes for the same profile settings, so both do exactly the same TLS work; only the
 * language around libssl differs.
 *
 * Usage: tlsbench --pki DIR [--warmup-ms N] [--sample-ms N] [--samples N] [--connections N] [--idle-thread] [--list]
 *                [SCENARIO...]
 *        tlsbench --pki DIR [--idle-thread] --serve   (sample by sample on request; see serve())
 * --idle-thread starts one thread that only sleeps, so the process is multi-threaded like any .NET process (glibc's
 * malloc then locks its arena on every allocation the thread cache cannot serve); for the analysis in
 * docs/benchmarks.md, never for the reference figures.
 * DIR holds root.pem, ec.pem, ec.key, rsa.pem, rsa.key (the benchmark project creates them with the openssl CLI).
 * Without scenarios every scenario runs. Each prints one line "scenario,value,unit" on stdout; per-sample details go
 * to stderr. Rates are the median of the samples, each counted per second of process CPU time (see run_for); idle
 * scenarios print the VmRSS growth per connection and, as "-heap", the growth of malloc's bytes in use.
 */
#define _GNU_SOURCE
#define BENCH_PROGRAM "tlsbench"
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <strings.h>
#include "bench_common.h"

/* ---------------------------------------------------------------- caller buffers and their BIO */

typedef struct {
    unsigned char *data;
    size_t len;
    size_t cap;
} buf_t;

/* Per-BIO state, like OpenSslTls's BioBuffers: the input being consumed and the output being appended to. */
typedef struct {
    const unsigned char *in;
    size_t in_len;
    size_t in_off;
    buf_t *out;
} bio_state_t;

static BIO_METHOD *g_bio_method;

static void buf_reserve(buf_t *b, size_t extra)
{
    if (b->cap - b->len >= extra) {
        return;
    }
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->len < extra) {
        cap *= 2;
    }
    unsigned char *data = realloc(b->data, cap);
    if (data == NULL) {
        die("out of memory");
    }
    b->data = data;
    b->cap = cap;
}

static int bio_read_ex(BIO *bio, char *data, size_t length, size_t *read)
{
    BIO_clear_retry_flags(bio);
    bio_state_t *s = BIO_get_data(bio);
    size_t available = s->in == NULL ? 0 : s->in_len - s->in_off;
    if (available == 0) {
        *read = 0;
        BIO_set_retry_read(bio);
        return 0;
    }
    size_t count = available < length ? available : length;
    memcpy(data, s->in + s->in_off, count);
    s->in_off += count;
    *read = count;
    return 1;
}

static int bio_write_ex(BIO *bio, const char *data, size_t length, size_t *written)
{
    BIO_clear_retry_flags(bio);
    bio_state_t *s = BIO_get_data(bio);
    *written = 0;
    if (s->out == NULL) {
        BIO_set_retry_write(bio);
        return 0;
    }
    buf_reserve(s->out, length);
    memcpy(s->out->data + s->out->len, data, length);
    s->out->len += length;
    *written = length;
    return 1;
}

static long bio_ctrl(BIO *bio, int command, long larg, void *parg)
{
    (void)bio;
    (void)larg;
    (void)parg;
    return command == BIO_CTRL_FLUSH || command == BIO_CTRL_DUP ? 1 : 0;
}

static int bio_create(BIO *bio)
{
    (void)bio;
    return 1;
}

static int bio_destroy(BIO *bio)
{
    free(BIO_get_data(bio));
    BIO_set_data(bio, NULL);
    return 1;
}

static BIO_METHOD *bio_method(void)
{
    if (g_bio_method == NULL) {
        g_bio_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "tlsbench-caller-buffers");
        if (g_bio_method == NULL || !BIO_meth_set_read_ex(g_bio_method, bio_read_ex)
            || !BIO_meth_set_write_ex(g_bio_method, bio_write_ex) || !BIO_meth_set_ctrl(g_bio_method, bio_ctrl)
            || !BIO_meth_set_create(g_bio_method, bio_create) || !BIO_meth_set_destroy(g_bio_method, bio_destroy)) {
            die("creating the BIO method");
        }
    }
    return g_bio_method;
}

/* ---------------------------------------------------------------- one connection, driven like TlsConnection */

/*
 * Before each operation, as OpenSslTls's ErrorQueue.Clear: SSL_get_error needs a clean queue, and peeking (two
 * indices compared) is five times cheaper than ERR_clear_error (16 slots reset) when it is already clean.
 */
static void clear_errors(void)
{
    if (ERR_peek_error() != 0) {
        ERR_clear_error();
    }
}

typedef struct {
    SSL *ssl;
    bio_state_t *io;
    int established;
} endpoint_t;

static void endpoint_open(endpoint_t *e, SSL_CTX *ctx, int server, SSL_SESSION *resume)
{
    clear_errors();
    e->ssl = SSL_new(ctx);
    BIO *bio = BIO_new(bio_method());
    e->io = calloc(1, sizeof(bio_state_t));
    if (e->ssl == NULL || bio == NULL || e->io == NULL) {
        die("creating a connection");
    }
    BIO_set_data(bio, e->io);
    BIO_set_init(bio, 1);
    SSL_set_bio(e->ssl, bio, bio);
    e->established = 0;
    set_role(e->ssl, server, resume);
}

/* Like TlsConnection.Dispose of an established connection: a quiet shutdown keeps the session resumable. */
static void endpoint_close(endpoint_t *e)
{
    if (e->established) {
        SSL_set_quiet_shutdown(e->ssl, 1);
        e->io->in = NULL;
        e->io->out = NULL;
        SSL_shutdown(e->ssl);
        ERR_clear_error();
    }
    SSL_free(e->ssl); /* frees the BIO and, through bio_destroy, e->io */
    e->ssl = NULL;
}

static void attach(endpoint_t *e, const unsigned char *in, size_t length, buf_t *out)
{
    e->io->in = in;
    e->io->in_len = length;
    e->io->in_off = 0;
    e->io->out = out;
}

static void detach(endpoint_t *e)
{
    e->io->in = NULL;
    e->io->in_len = 0;
    e->io->in_off = 0;
    e->io->out = NULL;
}

static void fail(endpoint_t *e, const char *operation, int result)
{
    die("%s failed: SSL_get_error %d", operation, SSL_get_error(e->ssl, result));
}

/* Client Start: the ClientHello goes to out. */
static void endpoint_start(endpoint_t *e, buf_t *out)
{
    clear_errors();
    attach(e, NULL, 0, out);
    int result = SSL_do_handshake(e->ssl);
    int error = result == 1 ? SSL_ERROR_NONE : SSL_get_error(e->ssl, result);
    detach(e);
    if (error != SSL_ERROR_WANT_READ) {
        fail(e, "starting the handshake", result);
    }
}

/* Receive: advance the handshake, then decrypt every complete record into plain until libssl wants more input. */
static void endpoint_receive(endpoint_t *e, const unsigned char *in, size_t length, buf_t *plain, buf_t *out)
{
    clear_errors();
    attach(e, in, length, out);
    if (!e->established) {
        int result = SSL_do_handshake(e->ssl);
        if (result != 1) {
            int error = SSL_get_error(e->ssl, result);
            detach(e);
            if (error == SSL_ERROR_WANT_READ) {
                return;
            }
            fail(e, "handshake", result);
        }
        e->established = 1;
    }
    for (;;) {
        /* Input consumed and nothing buffered in libssl: another SSL_read_ex could only say "want read" (OpenSslTls
         * skips it the same way). */
        if (e->io->in_off >= e->io->in_len && !SSL_has_pending(e->ssl)) {
            detach(e);
            return;
        }
        buf_reserve(plain, MAX_RECORD_PLAINTEXT);
        size_t read = 0;
        int result = SSL_read_ex(e->ssl, plain->data + plain->len, MAX_RECORD_PLAINTEXT, &read);
        if (result == 1) {
            plain->len += read;
            continue;
        }
        int error = SSL_get_error(e->ssl, result);
        detach(e);
        if (error == SSL_ERROR_WANT_READ) {
            return;
        }
        fail(e, "decrypting", result);
    }
}

/* Send: encrypt all of data into out (records of at most 16384 bytes; partial writes complete per record). */
static void endpoint_send(endpoint_t *e, const unsigned char *data, size_t length, buf_t *out)
{
    clear_errors();
    size_t offset = 0;
    while (offset < length) {
        attach(e, NULL, 0, out);
        size_t written = 0;
        int result = SSL_write_ex(e->ssl, data + offset, length - offset, &written);
        detach(e);
        if (result != 1) {
            fail(e, "encrypting", result);
        }
        offset += written;
    }
}

/* ---------------------------------------------------------------- a client/server pair pumped in memory */

typedef struct {
    endpoint_t client;
    endpoint_t server;
    buf_t to_server;
    buf_t to_client;
    buf_t server_plain;
    buf_t client_plain;
} pair_t;

/* Moves each side's output to the other's input until both are quiet (like TlsPair.Pump, without its copies). */
static void pair_pump(pair_t *p)
{
    for (int round = 0; round < 100 && (p->to_server.len > 0 || p->to_client.len > 0); round++) {
        if (p->to_server.len > 0) {
            endpoint_receive(&p->server, p->to_server.data, p->to_server.len, &p->server_plain, &p->to_client);
            p->to_server.len = 0;
        }
        if (p->to_client.len > 0) {
            endpoint_receive(&p->client, p->to_client.data, p->to_client.len, &p->client_plain, &p->to_server);
            p->to_client.len = 0;
        }
    }
}

static void pair_handshake(pair_t *p, SSL_CTX *server_ctx, SSL_CTX *client_ctx, SSL_SESSION *resume)
{
    endpoint_open(&p->server, server_ctx, 1, NULL);
    endpoint_open(&p->client, client_ctx, 0, resume);
    endpoint_start(&p->client, &p->to_server);
    pair_pump(p);
    if (!p->client.established || !p->server.established) {
        die("the handshake did not complete");
    }
}

static void pair_free_buffers(pair_t *p)
{
    free(p->to_server.data);
    free(p->to_client.data);
    free(p->server_plain.data);
    free(p->client_plain.data);
    memset(p, 0, sizeof(*p));
}

typedef struct {
    const char *pki;
    int warmup_ms;
    int sample_ms;
    int samples;
    int connections;
} options_t;

typedef struct {
    const scenario_t *scenario;
    SSL_CTX *server_ctx;
    SSL_CTX *client_ctx;
    SSL_SESSION *resume;
    pair_t pair;             /* record: the established pair; handshakes: the reused buffers */
    unsigned char *message;
} bench_t;

/* Whether the loaded libssl knows every group of the list (X25519MLKEM768 needs OpenSSL 3.5+): asked at run time. */
/* One handshake of the scenario's contexts must negotiate its group, or the row would measure something else. */
static void check_group(bench_t *b, const scenario_t *s)
{
    pair_t pair;
    memset(&pair, 0, sizeof(pair));
    pair_handshake(&pair, b->server_ctx, b->client_ctx, NULL);
    int id = SSL_get_negotiated_group(pair.server.ssl);
    const char *name = id == 0 ? NULL : SSL_group_to_name(pair.server.ssl, id);
    if (name == NULL || strcasecmp(name, s->group) != 0) {
        die("%s: negotiated group %s, expected %s", s->name, name ? name : "none", s->group);
    }
    endpoint_close(&pair.client);
    endpoint_close(&pair.server);
    pair_free_buffers(&pair);
}

static void bench_setup(bench_t *b, const scenario_t *s, const options_t *o)
{
    if (s->group != NULL && !group_known(s->group)) {
        die("%s: the loaded %s knows no group %s", s->name, OpenSSL_version(OPENSSL_VERSION), s->group);
    }
    memset(b, 0, sizeof(*b));
    b->scenario = s;
    scenario_contexts(s, o->pki, &b->server_ctx, &b->client_ctx);
    if (s->group != NULL) {
        check_group(b, s);
    }

    if (s->kind == KIND_RESUME) {
        pair_handshake(&b->pair, b->server_ctx, b->client_ctx, NULL);
        b->resume = SSL_get1_session(b->pair.client.ssl);
        if (b->resume == NULL || !SSL_SESSION_is_resumable(b->resume)) {
            die("%s: no resumable session after the first handshake", s->name);
        }
        endpoint_close(&b->pair.client);
        endpoint_close(&b->pair.server);
    } else if (s->kind == KIND_RECORD) {
        pair_handshake(&b->pair, b->server_ctx, b->client_ctx, NULL);
        b->message = malloc(s->size);
        for (size_t i = 0; i < s->size; i++) {
            b->message[i] = (unsigned char)('a' + i % 26);
        }
        endpoint_send(&b->pair.client, b->message, s->size, &b->pair.to_server);
        endpoint_receive(&b->pair.server, b->pair.to_server.data, b->pair.to_server.len, &b->pair.server_plain,
                         &b->pair.to_client);
        if (b->pair.server_plain.len != s->size || memcmp(b->pair.server_plain.data, b->message, s->size) != 0) {
            die("%s: the message did not arrive intact", s->name);
        }
        b->pair.to_server.len = 0;
        b->pair.server_plain.len = 0;
    }
}

static void bench_teardown(bench_t *b)
{
    if (b->scenario->kind == KIND_RECORD) {
        endpoint_close(&b->pair.client);
        endpoint_close(&b->pair.server);
    }
    pair_free_buffers(&b->pair);
    SSL_SESSION_free(b->resume);
    SSL_CTX_free(b->server_ctx);
    SSL_CTX_free(b->client_ctx);
    free(b->message);
}

/* One operation of the scenario. */
static void bench_op(bench_t *b)
{
    switch (b->scenario->kind) {
    case KIND_HANDSHAKE:
    case KIND_RESUME:
        pair_handshake(&b->pair, b->server_ctx, b->client_ctx, b->resume);
        if (b->resume != NULL && (!SSL_session_reused(b->pair.client.ssl) || !SSL_session_reused(b->pair.server.ssl))) {
            die("%s: the session was not resumed", b->scenario->name);
        }
        endpoint_close(&b->pair.client);
        endpoint_close(&b->pair.server);
        b->pair.client_plain.len = 0;
        b->pair.server_plain.len = 0;
        break;
    case KIND_RECORD:
        endpoint_send(&b->pair.client, b->message, b->scenario->size, &b->pair.to_server);
        endpoint_receive(&b->pair.server, b->pair.to_server.data, b->pair.to_server.len, &b->pair.server_plain,
                         &b->pair.to_client);
        if (b->pair.server_plain.len != b->scenario->size) {
            die("%s: the server decrypted %zu bytes", b->scenario->name, b->pair.server_plain.len);
        }
        b->pair.to_server.len = 0;
        b->pair.server_plain.len = 0;
        break;
    case KIND_IDLE:
        break;
    }
}

/*
 * Runs ops in batches until the process has used ms milliseconds of CPU; returns operations per CPU second. CPU time,
 * not wall time: the machine is shared (2 cores, builds and tests of other work run beside the benchmarks), and a
 * process that is descheduled would otherwise be charged for time it did not run. The C# loop measures the same way.
 */
static double run_for(bench_t *b, int ms, int batch, double *wall_rate)
{
    double start = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
    double wall_start = clock_seconds(CLOCK_MONOTONIC);
    double end = start + ms / 1000.0;
    long ops = 0;
    double now;
    do {
        for (int i = 0; i < batch; i++) {
            bench_op(b);
        }
        ops += batch;
        now = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
    } while (now < end);
    *wall_rate = (double)ops / (clock_seconds(CLOCK_MONOTONIC) - wall_start);
    return (double)ops / (now - start);
}

static void run_rate(const scenario_t *s, const options_t *o)
{
    bench_t b;
    bench_setup(&b, s, o);
    int batch = s->kind == KIND_RECORD ? 64 : 1;
    double wall;
    run_for(&b, o->warmup_ms, batch, &wall);
    double rates[MAX_SAMPLES];
    for (int i = 0; i < o->samples; i++) {
        rates[i] = run_for(&b, o->sample_ms, batch, &wall);
        fprintf(stderr, "# %s C sample %d: %.1f ops per CPU second (%.1f per wall second)\n", s->name, i + 1, rates[i], wall);
    }
    qsort(rates, (size_t)o->samples, sizeof(double), compare_doubles);
    double median = o->samples % 2 ? rates[o->samples / 2] : (rates[o->samples / 2 - 1] + rates[o->samples / 2]) / 2;
    if (s->kind == KIND_RECORD) {
        printf("%s,%.2f,MB/s\n", s->name, median * (double)s->size / 1e6);
    } else {
        printf("%s,%.1f,handshakes/s\n", s->name, median);
    }
    fflush(stdout);
    bench_teardown(&b);
}

static long vm_rss_bytes(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL) {
        die("cannot open /proc/self/status: %s", strerror(errno));
    }
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof(line), f)) {
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1) {
            break;
        }
    }
    fclose(f);
    if (kib < 0) {
        die("no VmRSS in /proc/self/status");
    }
    return kib * 1024;
}

static long heap_in_use_bytes(void)
{
    struct mallinfo2 info = mallinfo2();
    return (long)(info.uordblks + info.hblkhd);
}

/*
 * Memory of an idle established server connection: N servers are kept after their handshakes while each client is
 * freed at once (so only one client's memory is ever live). VmRSS is what the process really holds; the malloc
 * figure is the bytes OpenSSL holds in use (mallinfo2), without allocator slack.
 */
static void run_idle(const scenario_t *s, const options_t *o)
{
    bench_t b;
    bench_setup(&b, s, o);
    for (int i = 0; i < 64; i++) {
        pair_handshake(&b.pair, b.server_ctx, b.client_ctx, NULL);
        endpoint_close(&b.pair.client);
        endpoint_close(&b.pair.server);
    }
    int n = o->connections;
    endpoint_t *servers = calloc((size_t)n, sizeof(endpoint_t));
    if (servers == NULL) {
        die("out of memory");
    }
    long rss_before = vm_rss_bytes();
    long heap_before = heap_in_use_bytes();
    for (int i = 0; i < n; i++) {
        pair_handshake(&b.pair, b.server_ctx, b.client_ctx, NULL);
        endpoint_close(&b.pair.client);
        servers[i] = b.pair.server;
    }
    long rss_after = vm_rss_bytes();
    long heap_after = heap_in_use_bytes();
    printf("%s,%.1f,B/conn\n", s->name, (double)(rss_after - rss_before) / n);
    printf("%s-heap,%.1f,B/conn\n", s->name, (double)(heap_after - heap_before) / n);
    fflush(stdout);
    for (int i = 0; i < n; i++) {
        endpoint_close(&servers[i]);
    }
    free(servers);
    bench_teardown(&b);
}

/*
 * --serve: the benchmark project's quick mode drives the harness sample by sample, interleaving C, SslStream and
 * OpenSslTls samples so that all three see the same moments of a shared, busy machine. Commands on stdin, one per
 * line: "setup SCENARIO" (answers "ok"), "run MS" (answers "OPS_PER_CPU_SECOND OPS_PER_WALL_SECOND" after MS
 * milliseconds of CPU time, in batches as run_rate), "teardown" ("ok"), "quit".
 */
static int serve(const options_t *o)
{
    char line[256];
    bench_t b;
    int active = 0;
    while (fgets(line, sizeof(line), stdin)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strncmp(line, "setup ", 6) == 0) {
            const scenario_t *found = NULL;
            for (size_t j = 0; j < sizeof(SCENARIOS) / sizeof(SCENARIOS[0]); j++) {
                if (strcmp(SCENARIOS[j].name, line + 6) == 0) {
                    found = &SCENARIOS[j];
                }
            }
            if (found == NULL || found->kind == KIND_IDLE || active) {
                die("serve: cannot set up '%s'", line + 6);
            }
            bench_setup(&b, found, o);
            active = 1;
            printf("ok\n");
        } else if (strncmp(line, "run ", 4) == 0 && active) {
            double wall;
            double rate = run_for(&b, parse_int(line + 4, "run"), b.scenario->kind == KIND_RECORD ? 64 : 1, &wall);
            printf("%.3f %.3f\n", rate, wall);
        } else if (strcmp(line, "teardown") == 0 && active) {
            bench_teardown(&b);
            active = 0;
            printf("ok\n");
        } else if (strcmp(line, "quit") == 0) {
            break;
        } else {
            die("serve: unknown command '%s'", line);
        }
        fflush(stdout);
    }
    if (active) {
        bench_teardown(&b);
    }
    return 0;
}

static void *sleep_forever(void *unused)
{
    (void)unused;
    for (;;) {
        struct timespec hour = { 3600, 0 };
        nanosleep(&hour, NULL);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    options_t o = { NULL, 300, 300, 5, 5000 };
    int serving = 0;
    const char *selected[64];
    int count = 0;
    size_t scenario_count = sizeof(SCENARIOS) / sizeof(SCENARIOS[0]);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        int has_value = i + 1 < argc;
        if (strcmp(arg, "--pki") == 0 && has_value) {
            o.pki = argv[++i];
        } else if (strcmp(arg, "--warmup-ms") == 0 && has_value) {
            o.warmup_ms = parse_int(argv[++i], arg);
        } else if (strcmp(arg, "--sample-ms") == 0 && has_value) {
            o.sample_ms = parse_int(argv[++i], arg);
        } else if (strcmp(arg, "--samples") == 0 && has_value) {
            o.samples = parse_int(argv[++i], arg);
        } else if (strcmp(arg, "--connections") == 0 && has_value) {
            o.connections = parse_int(argv[++i], arg);
        } else if (strcmp(arg, "--serve") == 0) {
            serving = 1;
        } else if (strcmp(arg, "--idle-thread") == 0) {
            pthread_t thread;
            if (pthread_create(&thread, NULL, sleep_forever, NULL) != 0 || pthread_detach(thread) != 0) {
                die("starting the idle thread");
            }
        } else if (strcmp(arg, "--list") == 0) {
            for (size_t j = 0; j < scenario_count; j++) {
                puts(SCENARIOS[j].name);
            }
            return 0;
        } else if (arg[0] == '-') {
            die("unknown option %s (usage: tlsbench --pki DIR [--warmup-ms N] [--sample-ms N] [--samples N] "
                "[--connections N] [--idle-thread] [--list] [--serve] [SCENARIO...])", arg);
        } else if (count < 64) {
            selected[count++] = arg;
        }
    }
    if (o.pki == NULL) {
        die("--pki DIR is required");
    }
    if (o.samples > MAX_SAMPLES) {
        die("--samples: at most %d", MAX_SAMPLES);
    }
    if (serving) {
        return serve(&o);
    }
    for (int k = 0; k < count; k++) {
        int known = 0;
        for (size_t j = 0; j < scenario_count; j++) {
            known |= strcmp(selected[k], SCENARIOS[j].name) == 0;
        }
        if (!known) {
            die("unknown scenario %s (see --list)", selected[k]);
        }
    }
    fprintf(stderr, "# %s\n", OpenSSL_version(OPENSSL_VERSION));
    for (size_t j = 0; j < scenario_count; j++) {
        const scenario_t *s = &SCENARIOS[j];
        int wanted = count == 0;
        for (int k = 0; k < count; k++) {
            wanted |= strcmp(selected[k], s->name) == 0;
        }
        if (!wanted) {
            continue;
        }
        if (count == 0 && s->group != NULL && !group_known(s->group)) {
            fprintf(stderr, "# %s skipped: this OpenSSL knows no group %s\n", s->name, s->group);
            continue;
        }
        if (s->kind == KIND_IDLE) {
            run_idle(s, &o);
        } else {
            run_rate(s, &o);
        }
    }
    BIO_meth_free(g_bio_method);
    return 0;
}
