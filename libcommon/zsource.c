/*
 * zsource.c - zstd decompression of a file descriptor, in place or ahead in a
 * background thread (see zsource.h). The thread exists only on Linux; the
 * same code runs synchronously elsewhere.
 */
#include "zsource.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#ifdef __linux__
#define ZS_THREADS 1
#include <poll.h>
#include <pthread.h>
#endif

struct chunk {
	uint8_t *data;
	size_t len, pos;
	int status;		/* final status after the data, or ZS_DATA */
};

struct zsource {
	int fd;
	ZSTD_DCtx *dctx;
	uint8_t *in;
	size_t in_cap, in_len, in_pos;
	uint64_t bytes_in;
	int eof, started;
	size_t zret;		/* last ZSTD_decompressStream result: 0 = frame complete */
	int final;		/* sticky final status, ZS_DATA until known */
	size_t zerr;
	int err_no;

#ifdef ZS_THREADS
	int threaded;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct chunk chunks[ZS_CHUNKS];
	unsigned head, count;	/* consumer index, filled chunks */
	int stop;
	int wake[2];		/* a pipe: tells a thread blocked on input to stop */
#endif
};

/* Read more compressed input; 1, 0 at EOF, or a final status. */
static int read_input(struct zsource *z)
{
	ssize_t n;

	for (;;) {
#ifdef ZS_THREADS
		if (z->threaded) {
			struct pollfd p[2] = { { z->fd, POLLIN, 0 }, { z->wake[0], POLLIN, 0 } };

			if (poll(p, 2, -1) < 0) {
				if (errno == EINTR)
					continue;
				z->err_no = errno;
				return ZS_IO;
			}
			if (p[1].revents)
				return ZS_IO;	/* stopping: the status is never seen */
		}
#endif
		n = read(z->fd, z->in, z->in_cap);
		if (n >= 0)
			break;
		if (errno != EINTR) {
			z->err_no = errno;
			return ZS_IO;
		}
	}
	if (n == 0) {
		z->eof = 1;
		return 0;
	}
	if (!z->started) {
		/* Tell "not a stream" apart from corruption by the first magic. */
		if (n >= 4) {
			uint32_t magic = (uint32_t)z->in[0] | (uint32_t)z->in[1] << 8 |
			    (uint32_t)z->in[2] << 16 | (uint32_t)z->in[3] << 24;

			if (magic != 0xFD2FB528u && (magic & 0xFFFFFFF0u) != 0x184D2A50u)
				return ZS_NOTZSTD;
		}
		z->started = 1;
	}
	z->in_len = (size_t)n;
	z->in_pos = 0;
#ifdef ZS_THREADS
	__atomic_add_fetch(&z->bytes_in, (uint64_t)n, __ATOMIC_RELAXED);
#else
	z->bytes_in += (uint64_t)n;
#endif
	return 1;
}

/* Decompress up to cap bytes in the calling thread. */
static int produce(struct zsource *z, uint8_t *out, size_t cap, size_t *n)
{
	*n = 0;
	if (z->final != ZS_DATA)
		return z->final;
	for (;;) {
		ZSTD_outBuffer ob = { out, cap, 0 };
		ZSTD_inBuffer ib;
		size_t ret;

		if (z->in_pos == z->in_len && !z->eof) {
			int r = read_input(z);

			if (r < 0)
				return z->final = r;
			if (r == 0)
				continue;
		}
		if (z->in_pos == z->in_len && z->eof) {
			if (!z->started && z->bytes_in == 0)
				return z->final = ZS_EMPTY;
			return z->final = z->zret != 0 ? ZS_TRUNC : ZS_END;
		}
		ib.src = z->in;
		ib.size = z->in_len;
		ib.pos = z->in_pos;
		ret = ZSTD_decompressStream(z->dctx, &ob, &ib);
		z->in_pos = ib.pos;
		if (ZSTD_isError(ret)) {
			z->zerr = ret;
			return z->final = ZS_CORRUPT;
		}
		z->zret = ret;
		if (ob.pos) {
			*n = ob.pos;
			return ZS_DATA;
		}
	}
}

#ifdef ZS_THREADS
static void *worker(void *arg)
{
	struct zsource *z = arg;
	int status = ZS_DATA;

	while (status == ZS_DATA) {
		struct chunk *c;

		pthread_mutex_lock(&z->lock);
		while (z->count == ZS_CHUNKS && !z->stop)
			pthread_cond_wait(&z->cond, &z->lock);
		if (z->stop) {
			pthread_mutex_unlock(&z->lock);
			break;
		}
		c = &z->chunks[(z->head + z->count) % ZS_CHUNKS];
		pthread_mutex_unlock(&z->lock);

		/* Fill the chunk outside the lock: only this thread touches it now. */
		c->len = 0;
		c->pos = 0;
		c->status = ZS_DATA;
		while (c->len < ZS_CHUNK) {
			size_t n;

			status = produce(z, c->data + c->len, ZS_CHUNK - c->len, &n);
			if (status != ZS_DATA) {
				c->status = status;
				break;
			}
			c->len += n;
		}
		pthread_mutex_lock(&z->lock);
		z->count++;
		pthread_cond_broadcast(&z->cond);
		pthread_mutex_unlock(&z->lock);
	}
	return NULL;
}

static int read_threaded(struct zsource *z, uint8_t *out, size_t cap, size_t *n)
{
	struct chunk *c;
	size_t take;

	*n = 0;
	pthread_mutex_lock(&z->lock);
	for (;;) {
		while (z->count == 0)
			pthread_cond_wait(&z->cond, &z->lock);
		c = &z->chunks[z->head];
		if (c->pos < c->len || c->status != ZS_DATA)
			break;
		/* Drained: hand the chunk back to the worker. */
		z->head = (z->head + 1) % ZS_CHUNKS;
		z->count--;
		pthread_cond_broadcast(&z->cond);
	}
	pthread_mutex_unlock(&z->lock);
	if (c->pos == c->len)
		return c->status;	/* final; the chunk stays, so it repeats */
	take = c->len - c->pos < cap ? c->len - c->pos : cap;
	memcpy(out, c->data + c->pos, take);
	c->pos += take;
	*n = take;
	return ZS_DATA;
}
#endif

int zs_read(struct zsource *z, uint8_t *out, size_t cap, size_t *n)
{
#ifdef ZS_THREADS
	if (z->threaded)
		return read_threaded(z, out, cap, n);
#endif
	return produce(z, out, cap, n);
}

struct zsource *zs_new(int fd, int threaded)
{
	struct zsource *z = calloc(1, sizeof(*z));

	if (!z)
		return NULL;
	z->fd = fd;
	z->final = ZS_DATA;
	z->dctx = ZSTD_createDCtx();
	z->in_cap = ZSTD_DStreamInSize();
	z->in = malloc(z->in_cap);
	if (!z->dctx || !z->in ||
	    ZSTD_isError(ZSTD_DCtx_setParameter(z->dctx, ZSTD_d_windowLogMax, ZS_WINDOW_LOG_MAX))) {
		zs_free(z);
		return NULL;
	}
#ifdef ZS_THREADS
	z->wake[0] = z->wake[1] = -1;
	if (threaded) {
		unsigned i;

		for (i = 0; i < ZS_CHUNKS; i++)
			if (!(z->chunks[i].data = malloc(ZS_CHUNK))) {
				zs_free(z);
				return NULL;
			}
		if (pipe(z->wake) < 0) {
			zs_free(z);
			return NULL;
		}
		pthread_mutex_init(&z->lock, NULL);
		pthread_cond_init(&z->cond, NULL);
		z->threaded = 1;
		if (pthread_create(&z->thread, NULL, worker, z) != 0) {
			/* No thread: decompress in the caller instead. */
			z->threaded = 0;
			pthread_mutex_destroy(&z->lock);
			pthread_cond_destroy(&z->cond);
		}
	}
#else
	(void)threaded;
#endif
	return z;
}

void zs_free(struct zsource *z)
{
	if (!z)
		return;
#ifdef ZS_THREADS
	if (z->threaded) {
		ssize_t ignored;

		pthread_mutex_lock(&z->lock);
		z->stop = 1;
		pthread_cond_broadcast(&z->cond);
		pthread_mutex_unlock(&z->lock);
		ignored = write(z->wake[1], "x", 1);
		(void)ignored;
		pthread_join(z->thread, NULL);
		pthread_mutex_destroy(&z->lock);
		pthread_cond_destroy(&z->cond);
	}
	for (unsigned i = 0; i < ZS_CHUNKS; i++)
		free(z->chunks[i].data);
	if (z->wake[0] >= 0) {
		close(z->wake[0]);
		close(z->wake[1]);
	}
#endif
	ZSTD_freeDCtx(z->dctx);
	free(z->in);
	free(z);
}

size_t zs_zstd_error(const struct zsource *z)
{
	return z->zerr;
}

int zs_errno(const struct zsource *z)
{
	return z->err_no;
}

uint64_t zs_bytes_in(const struct zsource *z)
{
#ifdef ZS_THREADS
	return __atomic_load_n(&z->bytes_in, __ATOMIC_RELAXED);
#else
	return z->bytes_in;
#endif
}
