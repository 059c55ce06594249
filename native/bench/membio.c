/*
 * membio: the plain C program over OpenSSL's memory BIO, the second C reference of the OpenSslTls benchmarks
 * ("C mem-BIO"). Each SSL reads from one BIO_s_mem and writes to another; the program moves the bytes between the
 * two sides with BIO_read/BIO_write through a transfer buffer. One record message is SSL_write on the client, the
 * bytes moved, SSL_read once on the server. Same scenarios and SSL_CTX settings as tlsbench (bench_common.h), so only
 * the way bytes move differs: tlsbench drives libssl the way OpenSslTls does (a custom BIO over caller buffers, an
 * error-queue clear per operation, a decrypt loop); this is what a C program written the obvious way does.
 *
 * For the analysis in docs/benchmarks.md ("Records against a memory-BIO C program") it can also run the same message
 * loop over other arrangements (--bio, --clear-errors, --read-loop, --read-ahead); the benchmark suite runs it without
 * those options.
 *
 * Usage: membio --pki DIR [--warmup-ms N] [--sample-ms N] [--samples N] [--bio mem|caller|pair] [--clear-errors|--peek-errors]
 *               [--read-loop] [--read-ahead] [--list] [SCENARIO...]
 *        membio --pki DIR [options] --serve   (sample by sample on request, the protocol of tlsbench --serve)
 *        membio --error-queue-cost [N]          (ns per call of ERR_clear_error, ERR_peek_error, SSL_has_pending,
 *                                                SSL_get_error)
 *   --bio mem     two BIO_s_mem per SSL, bytes moved with BIO_read/BIO_write (the default)
 *   --bio caller  the caller-buffer BIO of OpenSslTls's C shim (native/io): reads the peer's bytes from the transfer
 *                 buffer, writes into a fixed output span; no copy between the sides
 *   --bio pair    one BIO pair per connection (BIO_new_bio_pair), libssl on both ends, nothing to move
 *   --clear-errors  ERR_clear_error before every SSL call, as tlsbench (and OpenSslTls before 18) does
 *   --peek-errors   ERR_clear_error before an SSL call only when ERR_peek_error finds an entry
 *   --read-loop     decrypt like otls_read: SSL_read_ex until the input is consumed and SSL_has_pending is 0
 *   --read-ahead    SSL_set_read_ahead on both sides (one BIO read per burst instead of two per record)
 * Idle scenarios are not run here (tlsbench measures them); --connections N is accepted and ignored, so the benchmark
 * project runs both programs with one command line.
 */
#define _GNU_SOURCE
#define BENCH_PROGRAM "membio"
#include "bench_common.h"

#define TRANSFER_BYTES (256 * 1024)

typedef enum { BIO_KIND_MEM, BIO_KIND_CALLER, BIO_KIND_PAIR } bio_kind_t;

typedef struct {
    bio_kind_t bio;
    int clear_errors; /* 0 never, 1 always, 2 when ERR_peek_error finds an entry */
    int read_loop;
    int read_ahead;
} variant_t;

static variant_t g_variant;

/* ---------------------------------------------------------------- the caller-buffer BIO (as native/io's shim) */

typedef struct {
    const unsigned char *in;
    size_t in_len;
    size_t in_off;
    unsigned char *out;
    size_t out_cap;
    size_t out_len;
} caller_io_t;

static BIO_METHOD *g_caller_method;

static int caller_read(BIO *bio, char *data, size_t length, size_t *read)
{
    BIO_clear_flags(bio, BIO_FLAGS_RWS | BIO_FLAGS_SHOULD_RETRY);
    caller_io_t *io = BIO_get_data(bio);
    size_t available = io->in == NULL ? 0 : io->in_len - io->in_off;
    if (available == 0) {
        *read = 0;
        BIO_set_flags(bio, BIO_FLAGS_READ | BIO_FLAGS_SHOULD_RETRY);
        return 0;
    }
    size_t count = available < length ? available : length;
    memcpy(data, io->in + io->in_off, count);
    io->in_off += count;
    *read = count;
    return 1;
}

static int caller_write(BIO *bio, const char *data, size_t length, size_t *written)
{
    BIO_clear_flags(bio, BIO_FLAGS_RWS | BIO_FLAGS_SHOULD_RETRY);
    caller_io_t *io = BIO_get_data(bio);
    if (io->out == NULL || io->out_cap - io->out_len < length) {
        die("the caller-buffer BIO's output span is too small (%zu bytes written)", length);
    }
    memcpy(io->out + io->out_len, data, length);
    io->out_len += length;
    *written = length;
    return 1;
}

static int caller_destroy(BIO *bio)
{
    free(BIO_get_data(bio));
    BIO_set_data(bio, NULL);
    return 1;
}

/*
 * The null BIO's ctrl, written out: BIO_meth_get_ctrl is deprecated since OpenSSL 3.5 (and -Werror makes that fatal).
 * As bss_null.c: 1 for reset, eof, set, set_close, flush and dup; 0 for everything else, which answers the kernel-TLS
 * and pending questions libssl asks with "no", like the shim's method.
 */
static long caller_ctrl(BIO *bio, int cmd, long num, void *ptr)
{
    (void)bio;
    (void)num;
    (void)ptr;
    switch (cmd) {
    case BIO_CTRL_RESET:
    case BIO_CTRL_EOF:
    case BIO_CTRL_SET:
    case BIO_CTRL_SET_CLOSE:
    case BIO_CTRL_FLUSH:
    case BIO_CTRL_DUP:
        return 1;
    default:
        return 0;
    }
}

static BIO_METHOD *caller_method(void)
{
    if (g_caller_method == NULL) {
        g_caller_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "membio-caller-buffers");
        if (g_caller_method == NULL || !BIO_meth_set_read_ex(g_caller_method, caller_read)
            || !BIO_meth_set_write_ex(g_caller_method, caller_write)
            || !BIO_meth_set_ctrl(g_caller_method, caller_ctrl)
            || !BIO_meth_set_destroy(g_caller_method, caller_destroy)) {
            die("creating the BIO method");
        }
    }
    return g_caller_method;
}

/* ---------------------------------------------------------------- one side */

typedef struct {
    SSL *ssl;
    BIO *in;          /* mem: libssl reads the peer's bytes from here (we BIO_write them in) */
    BIO *out;         /* mem: libssl writes here (we BIO_read them out); pair: our end of the pair */
    caller_io_t *io;  /* caller */
    int established;
} side_t;

typedef struct {
    side_t client;
    side_t server;
    unsigned char *transfer; /* the bytes in flight, one direction at a time */
    size_t transfer_len;
    unsigned char *plain;
} pair_t;

static void clear_errors(void)
{
    if (g_variant.clear_errors == 1 || (g_variant.clear_errors == 2 && ERR_peek_error() != 0)) {
        ERR_clear_error();
    }
}

static void side_open(side_t *e, SSL_CTX *ctx, int server, SSL_SESSION *resume, BIO *pair_end)
{
    memset(e, 0, sizeof(*e));
    e->ssl = SSL_new(ctx);
    if (e->ssl == NULL) {
        die("SSL_new");
    }
    switch (g_variant.bio) {
    case BIO_KIND_MEM:
        e->in = BIO_new(BIO_s_mem());
        e->out = BIO_new(BIO_s_mem());
        if (e->in == NULL || e->out == NULL) {
            die("BIO_new");
        }
        /* Empty memory BIOs answer "retry", not end of file. */
        BIO_set_mem_eof_return(e->in, -1);
        BIO_set_mem_eof_return(e->out, -1);
        BIO_up_ref(e->out); /* SSL_set_bio takes one reference of each; we keep one of out to read from */
        SSL_set_bio(e->ssl, e->in, e->out);
        break;
    case BIO_KIND_CALLER: {
        BIO *bio = BIO_new(caller_method());
        e->io = calloc(1, sizeof(*e->io));
        if (bio == NULL || e->io == NULL) {
            die("BIO_new");
        }
        BIO_set_data(bio, e->io);
        BIO_set_init(bio, 1);
        SSL_set_bio(e->ssl, bio, bio); /* one reference for both directions */
        break;
    }
    case BIO_KIND_PAIR:
        SSL_set_bio(e->ssl, pair_end, pair_end);
        break;
    }
    if (g_variant.read_ahead) {
        SSL_set_read_ahead(e->ssl, 1);
    }
    set_role(e->ssl, server, resume);
}

static void side_close(side_t *e)
{
    if (e->established) {
        /* A quiet shutdown keeps the session resumable, as OpenSslTls and tlsbench close. */
        SSL_set_quiet_shutdown(e->ssl, 1);
        SSL_shutdown(e->ssl);
        ERR_clear_error();
    }
    SSL_free(e->ssl);
    if (e->out != NULL && g_variant.bio == BIO_KIND_MEM) {
        BIO_free(e->out);
    }
    memset(e, 0, sizeof(*e));
}

/* Before an SSL call: the peer's bytes in transfer become this side's input, and its output goes to out. */
static void caller_attach(caller_io_t *io, const unsigned char *in, size_t in_len, unsigned char *out, size_t out_cap)
{
    io->in = in;
    io->in_len = in_len;
    io->in_off = 0;
    io->out = out;
    io->out_cap = out_cap;
    io->out_len = 0;
}

/* The peer's bytes (p->transfer) into e's input BIO (mem; caller: attached at the call). */
static void deliver(pair_t *p, side_t *e)
{
    if (g_variant.bio == BIO_KIND_MEM && p->transfer_len > 0) {
        if (BIO_write(e->in, p->transfer, (int)p->transfer_len) != (int)p->transfer_len) {
            die("BIO_write");
        }
        p->transfer_len = 0;
    }
}

/* Whatever e wrote into its output BIO, into p->transfer (mem; caller: written there directly). */
static void collect(pair_t *p, side_t *e)
{
    if (g_variant.bio == BIO_KIND_MEM) {
        int n = BIO_read(e->out, p->transfer, TRANSFER_BYTES);
        p->transfer_len = n > 0 ? (size_t)n : 0;
    }
}

static void fail(side_t *e, const char *operation, int result)
{
    die("%s failed: SSL_get_error %d", operation, SSL_get_error(e->ssl, result));
}

/*
 * One step of one side with the peer's bytes in p->transfer: the handshake if not yet done, then decrypting what is
 * there (the plaintext is discarded; *plain counts it). Its output replaces p->transfer.
 */
static void side_step(pair_t *p, side_t *e, size_t *plain)
{
    unsigned char *out = NULL;
    static unsigned char caller_out[TRANSFER_BYTES];
    if (g_variant.bio == BIO_KIND_CALLER) {
        out = caller_out;
        caller_attach(e->io, p->transfer, p->transfer_len, out, TRANSFER_BYTES);
    } else {
        deliver(p, e);
    }
    if (!e->established) {
        clear_errors();
        int result = SSL_do_handshake(e->ssl);
        if (result == 1) {
            e->established = 1;
        } else if (SSL_get_error(e->ssl, result) != SSL_ERROR_WANT_READ) {
            fail(e, "handshake", result);
        }
    }
    if (e->established) {
        for (;;) {
            if (g_variant.bio == BIO_KIND_CALLER && e->io->in_off >= e->io->in_len && !SSL_has_pending(e->ssl)) {
                break;
            }
            clear_errors();
            size_t read = 0;
            int result = SSL_read_ex(e->ssl, p->plain, MAX_RECORD_PLAINTEXT, &read);
            if (result != 1) {
                int error = SSL_get_error(e->ssl, result);
                if (error != SSL_ERROR_WANT_READ) {
                    fail(e, "decrypting", result);
                }
                break;
            }
            *plain += read;
        }
    }
    if (g_variant.bio == BIO_KIND_CALLER) {
        memcpy(p->transfer, out, e->io->out_len);
        p->transfer_len = e->io->out_len;
        caller_attach(e->io, NULL, 0, NULL, 0);
    } else {
        collect(p, e);
    }
}

static void pair_handshake(pair_t *p, SSL_CTX *server_ctx, SSL_CTX *client_ctx, SSL_SESSION *resume)
{
    BIO *client_end = NULL;
    BIO *server_end = NULL;
    if (g_variant.bio == BIO_KIND_PAIR && BIO_new_bio_pair(&client_end, TRANSFER_BYTES, &server_end, TRANSFER_BYTES) != 1) {
        die("BIO_new_bio_pair");
    }
    side_open(&p->server, server_ctx, 1, NULL, server_end);
    side_open(&p->client, client_ctx, 0, resume, client_end);
    p->transfer_len = 0;
    size_t plain = 0;
    if (g_variant.bio == BIO_KIND_PAIR) {
        /* Each side's writes land in the other's end of the pair: step them in turns until both are done and quiet. */
        for (int round = 0; round < 100; round++) {
            side_step(p, &p->client, &plain);
            side_step(p, &p->server, &plain);
            if (p->client.established && p->server.established && BIO_ctrl_pending(client_end) == 0
                && BIO_ctrl_pending(server_end) == 0) {
                break;
            }
        }
    } else {
        side_step(p, &p->client, &plain); /* the ClientHello */
        for (int round = 0; round < 100 && p->transfer_len > 0; round++) {
            side_step(p, &p->server, &plain);
            if (p->transfer_len == 0) {
                break;
            }
            side_step(p, &p->client, &plain);
        }
    }
    if (!p->client.established || !p->server.established) {
        die("the handshake did not complete");
    }
}

/* ---------------------------------------------------------------- scenarios */

typedef struct {
    const scenario_t *scenario;
    SSL_CTX *server_ctx;
    SSL_CTX *client_ctx;
    SSL_SESSION *resume;
    pair_t pair;
    unsigned char *message;
} bench_t;

/* One message: SSL_write on the client, the bytes moved, SSL_read once on the server. */
static void send_one(bench_t *b)
{
    pair_t *p = &b->pair;
    size_t size = b->scenario->size;
    if (g_variant.bio == BIO_KIND_CALLER) {
        caller_attach(p->client.io, NULL, 0, p->transfer, TRANSFER_BYTES);
    }
    clear_errors();
    size_t written = 0;
    int result = SSL_write_ex(p->client.ssl, b->message, size, &written);
    if (result != 1 || written != size) {
        fail(&p->client, "encrypting", result);
    }
    size_t in_len = 0;
    if (g_variant.bio == BIO_KIND_CALLER) {
        in_len = p->client.io->out_len;
        caller_attach(p->client.io, NULL, 0, NULL, 0);
        caller_attach(p->server.io, p->transfer, in_len, NULL, 0);
    } else if (g_variant.bio == BIO_KIND_MEM) {
        int n = BIO_read(p->client.out, p->transfer, TRANSFER_BYTES);
        if (n <= 0 || BIO_write(p->server.in, p->transfer, n) != n) {
            die("moving the record");
        }
    }
    size_t total = 0;
    do {
        clear_errors();
        size_t read = 0;
        result = SSL_read_ex(p->server.ssl, p->plain, MAX_RECORD_PLAINTEXT, &read);
        if (result != 1) {
            fail(&p->server, "decrypting", result);
        }
        total += read;
    } while (g_variant.read_loop && total < size);
    if (g_variant.read_loop) {
        /* As otls_read: stop when the input is consumed and libssl holds nothing. */
        int consumed = g_variant.bio == BIO_KIND_CALLER ? p->server.io->in_off >= p->server.io->in_len
                                                         : BIO_ctrl_pending(p->server.in) == 0;
        if (!consumed || SSL_has_pending(p->server.ssl)) {
            die("input left after the message");
        }
    }
    if (total != size) {
        die("%s: the server decrypted %zu bytes", b->scenario->name, total);
    }
    if (g_variant.bio == BIO_KIND_CALLER) {
        caller_attach(p->server.io, NULL, 0, NULL, 0);
    }
}

static void bench_setup(bench_t *b, const scenario_t *s, const char *pki)
{
    if (s->group != NULL && !group_known(s->group)) {
        die("%s: the loaded %s knows no group %s", s->name, OpenSSL_version(OPENSSL_VERSION), s->group);
    }
    memset(b, 0, sizeof(*b));
    b->scenario = s;
    b->pair.transfer = malloc(TRANSFER_BYTES);
    b->pair.plain = malloc(MAX_RECORD_PLAINTEXT);
    if (b->pair.transfer == NULL || b->pair.plain == NULL) {
        die("out of memory");
    }
    scenario_contexts(s, pki, &b->server_ctx, &b->client_ctx);
    if (s->kind == KIND_RESUME) {
        pair_handshake(&b->pair, b->server_ctx, b->client_ctx, NULL);
        b->resume = SSL_get1_session(b->pair.client.ssl);
        if (b->resume == NULL || !SSL_SESSION_is_resumable(b->resume)) {
            die("%s: no resumable session after the first handshake", s->name);
        }
        side_close(&b->pair.client);
        side_close(&b->pair.server);
    } else if (s->kind == KIND_RECORD) {
        pair_handshake(&b->pair, b->server_ctx, b->client_ctx, NULL);
        b->message = malloc(s->size);
        if (b->message == NULL) {
            die("out of memory");
        }
        for (size_t i = 0; i < s->size; i++) {
            b->message[i] = (unsigned char)('a' + i % 26);
        }
        send_one(b);
        if (memcmp(b->pair.plain, b->message, s->size) != 0) {
            die("%s: the message did not arrive intact", s->name);
        }
    }
}

static void bench_teardown(bench_t *b)
{
    if (b->scenario->kind == KIND_RECORD) {
        side_close(&b->pair.client);
        side_close(&b->pair.server);
    }
    free(b->pair.transfer);
    free(b->pair.plain);
    SSL_SESSION_free(b->resume);
    SSL_CTX_free(b->server_ctx);
    SSL_CTX_free(b->client_ctx);
    free(b->message);
    memset(b, 0, sizeof(*b));
}

static void bench_op(bench_t *b)
{
    if (b->scenario->kind == KIND_RECORD) {
        send_one(b);
        return;
    }
    pair_handshake(&b->pair, b->server_ctx, b->client_ctx, b->resume);
    if (b->resume != NULL && (!SSL_session_reused(b->pair.client.ssl) || !SSL_session_reused(b->pair.server.ssl))) {
        die("%s: the session was not resumed", b->scenario->name);
    }
    side_close(&b->pair.client);
    side_close(&b->pair.server);
}

/* Operations per CPU second over ms milliseconds of process CPU time, in batches (as tlsbench's run_for). */
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

static int batch_of(const scenario_t *s)
{
    return s->kind == KIND_RECORD ? 64 : 1;
}

/*
 * --error-queue-cost [N]: nanoseconds per call (process CPU time, N calls each, 20 million by default, three rounds)
 * of the calls made around every record operation: ERR_clear_error, ERR_peek_error, SSL_has_pending, SSL_get_error.
 */
static int error_queue_cost(long n)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL *ssl = ctx == NULL ? NULL : SSL_new(ctx);
    if (ssl == NULL) {
        die("SSL_new");
    }
    volatile unsigned long sink = 0;
    for (int round = 0; round < 3; round++) {
        double t0 = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
        for (long i = 0; i < n; i++) {
            ERR_clear_error();
        }
        double t1 = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
        for (long i = 0; i < n; i++) {
            sink += ERR_peek_error();
        }
        double t2 = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
        for (long i = 0; i < n; i++) {
            sink += (unsigned long)SSL_has_pending(ssl);
        }
        double t3 = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
        for (long i = 0; i < n; i++) {
            sink += (unsigned long)SSL_get_error(ssl, -1);
        }
        double t4 = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
        printf("ERR_clear_error %.1f ns, ERR_peek_error %.1f ns, SSL_has_pending %.1f ns, SSL_get_error %.1f ns\n",
               (t1 - t0) / n * 1e9, (t2 - t1) / n * 1e9, (t3 - t2) / n * 1e9, (t4 - t3) / n * 1e9);
    }
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    return sink == 42 ? 1 : 0; /* keeps the loops; never 42 in practice */
}

/* The protocol of tlsbench --serve: "setup SCENARIO", "run MS", "teardown", "quit". */
static int serve(const char *pki)
{
    char line[256];
    bench_t b;
    int active = 0;
    while (fgets(line, sizeof(line), stdin)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strncmp(line, "setup ", 6) == 0) {
            const scenario_t *found = scenario_find(line + 6);
            if (found == NULL || found->kind == KIND_IDLE || active) {
                die("serve: cannot set up '%s'", line + 6);
            }
            bench_setup(&b, found, pki);
            active = 1;
            printf("ok\n");
        } else if (strncmp(line, "run ", 4) == 0 && active) {
            double wall;
            double rate = run_for(&b, parse_int(line + 4, "run"), batch_of(b.scenario), &wall);
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

int main(int argc, char **argv)
{
    if ((argc == 2 || argc == 3) && strcmp(argv[1], "--error-queue-cost") == 0) {
        return error_queue_cost(argc == 3 ? parse_int(argv[2], argv[1]) : 20000000);
    }
    const char *pki = NULL;
    int warmup_ms = 300, sample_ms = 300, samples = 5, serving = 0;
    const char *selected[64];
    int count = 0;
    size_t scenario_count = sizeof(SCENARIOS) / sizeof(SCENARIOS[0]);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        int has_value = i + 1 < argc;
        if (strcmp(arg, "--pki") == 0 && has_value) {
            pki = argv[++i];
        } else if (strcmp(arg, "--warmup-ms") == 0 && has_value) {
            warmup_ms = parse_int(argv[++i], arg);
        } else if (strcmp(arg, "--sample-ms") == 0 && has_value) {
            sample_ms = parse_int(argv[++i], arg);
        } else if (strcmp(arg, "--samples") == 0 && has_value) {
            samples = parse_int(argv[++i], arg);
        } else if (strcmp(arg, "--connections") == 0 && has_value) {
            parse_int(argv[++i], arg); /* tlsbench's idle-scenario option, accepted so both take one command line */
        } else if (strcmp(arg, "--bio") == 0 && has_value) {
            const char *kind = argv[++i];
            if (strcmp(kind, "mem") == 0) {
                g_variant.bio = BIO_KIND_MEM;
            } else if (strcmp(kind, "caller") == 0) {
                g_variant.bio = BIO_KIND_CALLER;
            } else if (strcmp(kind, "pair") == 0) {
                g_variant.bio = BIO_KIND_PAIR;
            } else {
                die("--bio: mem, caller or pair, not %s", kind);
            }
        } else if (strcmp(arg, "--clear-errors") == 0) {
            g_variant.clear_errors = 1;
        } else if (strcmp(arg, "--peek-errors") == 0) {
            g_variant.clear_errors = 2;
        } else if (strcmp(arg, "--read-loop") == 0) {
            g_variant.read_loop = 1;
        } else if (strcmp(arg, "--read-ahead") == 0) {
            g_variant.read_ahead = 1;
        } else if (strcmp(arg, "--serve") == 0) {
            serving = 1;
        } else if (strcmp(arg, "--list") == 0) {
            for (size_t j = 0; j < scenario_count; j++) {
                if (SCENARIOS[j].kind != KIND_IDLE) {
                    puts(SCENARIOS[j].name);
                }
            }
            return 0;
        } else if (arg[0] == '-') {
            die("unknown option %s (usage: membio --pki DIR [--warmup-ms N] [--sample-ms N] [--samples N] "
                "[--bio mem|caller|pair] [--clear-errors|--peek-errors] [--read-loop] [--read-ahead] [--list] [--serve] [SCENARIO...])",
                arg);
        } else if (count < 64) {
            selected[count++] = arg;
        }
    }
    if (pki == NULL) {
        die("--pki DIR is required");
    }
    if (samples > MAX_SAMPLES) {
        die("--samples: at most %d", MAX_SAMPLES);
    }
    if (g_variant.bio == BIO_KIND_PAIR && g_variant.read_loop) {
        die("--read-loop needs --bio mem or caller");
    }
    int status = 0;
    if (serving) {
        status = serve(pki);
    } else {
        for (int k = 0; k < count; k++) {
            const scenario_t *s = scenario_find(selected[k]);
            if (s == NULL || s->kind == KIND_IDLE) {
                die("unknown scenario %s (see --list)", selected[k]);
            }
        }
        fprintf(stderr, "# %s\n", OpenSSL_version(OPENSSL_VERSION));
        for (size_t j = 0; j < scenario_count; j++) {
            const scenario_t *s = &SCENARIOS[j];
            int wanted = count == 0 && s->kind != KIND_IDLE && (s->group == NULL || group_known(s->group));
            for (int k = 0; k < count; k++) {
                wanted |= strcmp(selected[k], s->name) == 0;
            }
            if (!wanted) {
                continue;
            }
            bench_t b;
            bench_setup(&b, s, pki);
            double wall;
            run_for(&b, warmup_ms, batch_of(s), &wall);
            double rates[MAX_SAMPLES];
            for (int i = 0; i < samples; i++) {
                rates[i] = run_for(&b, sample_ms, batch_of(s), &wall);
                fprintf(stderr, "# %s C mem-BIO sample %d: %.1f ops per CPU second (%.1f per wall second)\n", s->name,
                        i + 1, rates[i], wall);
            }
            qsort(rates, (size_t)samples, sizeof(double), compare_doubles);
            double median = samples % 2 ? rates[samples / 2] : (rates[samples / 2 - 1] + rates[samples / 2]) / 2;
            if (s->kind == KIND_RECORD) {
                printf("%s,%.2f,MB/s\n", s->name, median * (double)s->size / 1e6);
            } else {
                printf("%s,%.1f,handshakes/s\n", s->name, median);
            }
            fflush(stdout);
            bench_teardown(&b);
        }
    }
    BIO_meth_free(g_caller_method);
    return status;
}
