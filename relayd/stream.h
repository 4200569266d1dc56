/*
 * stream.h: a socket on the event loop for the hot paths of relayd and
 * the engine (both build this file).
 *
 * libevent 2.1's socket bufferevents read at most 4096 bytes per call
 * (EVBUFFER_MAX_READ) and defer every write to the next turn of the loop:
 * a relay of bulk data pays a wake-up per 4 KiB and four extra system
 * calls per message.  A stream reads only when its owner asks, as much
 * as the owner has room for (straight into the replay ring, or into the
 * input buffer for frames), and writes at once when nothing is queued,
 * arming writability only for what the kernel did not take.
 *
 * Callbacks: readable (the owner reads with stream_read or stream_fill),
 * drained (the output fell to the low mark after having been above it),
 * and event (STREAM_CONNECTED, or STREAM_ERROR with an errno).  End of
 * file is seen by the owner as stream_read/stream_fill returning -1 with
 * stream_eof() true.
 */
#ifndef MIGRATE_STREAM_H
#define MIGRATE_STREAM_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <event2/buffer.h>
#include <event2/event.h>

#define STREAM_CONNECTED	0x01
#define STREAM_ERROR		0x02

struct stream;
typedef void	stream_cb(struct stream *, void *);
typedef void	stream_event_cb(struct stream *, int what, int err, void *);

/* Streams whose owner let go: flushing, then closing on their own. */
LIST_HEAD(stream_list, stream);

struct stream *stream_new(struct event_base *base, int fd);
/* Start a non-blocking connect; STREAM_CONNECTED or STREAM_ERROR follow.
 * -1 (errno set) if it failed at once. */
struct stream *stream_connect(struct event_base *base,
	    const struct sockaddr *to, socklen_t tolen,
	    const struct sockaddr *from, socklen_t fromlen);
void	stream_setcb(struct stream *st, stream_cb *readcb,
	    stream_cb *drainedcb, stream_event_cb *eventcb, void *arg);
void	stream_free(struct stream *st);
int	stream_fd(const struct stream *st);

void	stream_read_enable(struct stream *st, int on);
/* Read into buf: bytes read, 0 if none now, -1 at end of file or error. */
ssize_t	stream_read(struct stream *st, void *buf, size_t len);
/* Read up to max bytes into the input buffer; as stream_read. */
ssize_t	stream_fill(struct stream *st, size_t max);
struct msession;
/*
 * Read straight into a session's replay ring (the sender's side of the
 * protocol): as much as the kernel holds, at most max; -1 at end of file
 * or on error, as stream_read.
 */
ssize_t	stream_fill_ring(struct stream *st, struct msession *m, size_t max);
/* Bytes the kernel holds for reading now (FIONREAD), 0 if unknown. */
size_t	stream_pending(const struct stream *st);
int	stream_eof(const struct stream *st);
int	stream_error(const struct stream *st);	/* errno of a failure, or 0 */
struct evbuffer *stream_input(struct stream *st);

struct evbuffer *stream_output(struct stream *st);
size_t	stream_out_len(const struct stream *st);
/* Write what the kernel takes now; -1 (stream_error set) on failure. */
int	stream_flush(struct stream *st);
/* drained callback once the output falls to `low` (after exceeding it) */
void	stream_set_low(struct stream *st, size_t low);
/* shutdown(SHUT_WR) once everything queued is written. */
void	stream_shutdown_write(struct stream *st);

/*
 * The owner is done: write what is queued, then (drain) send FIN and
 * discard input until the peer's FIN, so the last bytes are not lost to a
 * reset; free after that or after `timeout_s`.  With reset, close at once
 * with a reset.  The stream joins `list` until it is freed.
 */
void	stream_release(struct stream *st, struct stream_list *list,
	    int drain, int reset, int timeout_s);
void	stream_release_all(struct stream_list *list);

#endif /* MIGRATE_STREAM_H */
