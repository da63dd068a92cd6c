/*-------------------------------------------------------------------------
 *
 * http.c
 *		pg_lifeguard's HTTP endpoint: GET /metrics, /health and /events,
 *		served by a background worker of its own.
 *
 * Why a worker of its own: the endpoint must answer when every client slot
 * is taken, and a slow or hostile HTTP client must never delay the watch
 * loop (worker.c).  This worker holds a background-worker slot, not a client
 * slot, and is connected to no database: it reads shared memory (metrics.c)
 * and, for role and database names, the shared catalogs, whose locks it
 * takes only when they are granted at once.  It also keeps answering while
 * the main worker restarts, and then says so in /health.
 *
 * The loop: one non-blocking listening socket and at most HTTP_MAX_CLIENTS
 * connections, each either reading its request or writing its response.
 * PostgreSQL 15 cannot remove a socket from a WaitEventSet, so the set is
 * built again on every pass (a few system calls; passes happen only when a
 * socket is ready, the latch is set, or a deadline passes).
 *
 * Bounds: a request is at most HTTP_MAX_REQUEST bytes of request line and
 * headers and must arrive complete within HTTP_READ_TIMEOUT_MS of the
 * connection (so a client sending slowly, one byte at a time, is cut off);
 * a response must be taken within HTTP_WRITE_TIMEOUT_MS.  After the
 * response, what the client still sends is read and dropped until it
 * closes, for at most HTTP_LINGER_MS, so that unread input does not reset
 * the connection before the client has read the answer.  When all
 * HTTP_MAX_CLIENTS connections are taken, a new one replaces one that is
 * done or the one that has been reading longest, so idle connections cannot
 * lock others out; what a new connection has already sent is read at once.  One request per
 * connection ("Connection: close").  Only GET; any other method gets 405,
 * a malformed request 400, an oversized one 431, an unknown path 404.  With
 * lifeguard.http_token set, every request needs "Authorization: Bearer
 * <token>" (401 otherwise).
 *
 * Errors: an ERROR while building a response is caught, logged, and
 * answered with 500; the worker goes on.  A FATAL (pg_terminate_backend)
 * exits with status 1 and the postmaster starts the worker again after
 * HTTP_RESTART_SECONDS, as it does when the port cannot be bound.
 *
 * Copyright (c) 2026, pg_lifeguard developers
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "access/xact.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "core/compat.h"
#include "core/lifeguard.h"
#include "core/privileges.h"
#include "core/shmem.h"
#include "core/worker.h"
#include "core/xact.h"
#include "observability/eventlog.h"
#include "observability/http.h"
#include "observability/metrics.h"

#define HTTP_MAX_CLIENTS		16
#define HTTP_MAX_REQUEST		8192
#define HTTP_READ_TIMEOUT_MS	5000
#define HTTP_WRITE_TIMEOUT_MS	10000
/* How long to read what a client still sends after its response */
#define HTTP_LINGER_MS			1000
#define HTTP_BACKLOG			16
#define HTTP_RESTART_SECONDS	10
/* Pause after accept() failed for another reason than "nothing waiting" */
#define HTTP_ACCEPT_PAUSE_MS	1000
/* Most events one GET /events returns; the client asks again from next_since */
#define HTTP_MAX_EVENTS			1000

typedef enum ClientState
{
	CLIENT_FREE = 0,
	CLIENT_READING,
	CLIENT_WRITING,
	CLIENT_CLOSING				/* response sent; reading what is left */
} ClientState;

typedef struct HttpClient
{
	ClientState state;
	pgsocket	fd;
	TimestampTz deadline;
	int			reqlen;
	char		request[HTTP_MAX_REQUEST + 1];
	StringInfoData response;	/* in TopMemoryContext while writing */
	int			sent;
} HttpClient;

static HttpClient clients[HTTP_MAX_CLIENTS];
static pgsocket listen_fd = PGINVALID_SOCKET;
static TimestampTz accept_paused_until = 0;

/*
 * Register the HTTP worker, unless lifeguard.http_port is 0; called from
 * _PG_init in the postmaster (the observability duty's install_hooks).
 */
void
lifeguard_register_http_worker(void)
{
	BackgroundWorker worker;

	if (lifeguard_http_port == 0)
		return;
	lifeguard_describe_worker(&worker, "pg_lifeguard http",
							  "lifeguard_http_main", HTTP_RESTART_SECONDS);
	RegisterBackgroundWorker(&worker);
}

static void
set_nonblocking(pgsocket fd)
{
	if (!pg_set_noblock(fd))
		ereport(ERROR,
				(errcode_for_socket_access(),
				 errmsg("could not set socket to nonblocking mode: %m")));
	(void) fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/*
 * Open the listening socket on lifeguard.http_listen:lifeguard.http_port.
 * The address was checked to be numeric when the setting was read.
 */
static void
open_listener(void)
{
	struct sockaddr_storage addr;
	socklen_t	addrlen;
	int			one = 1;
	pgsocket	fd;

	memset(&addr, 0, sizeof(addr));
	if (inet_pton(AF_INET, lifeguard_http_listen,
				  &((struct sockaddr_in *) &addr)->sin_addr) == 1)
	{
		((struct sockaddr_in *) &addr)->sin_family = AF_INET;
		((struct sockaddr_in *) &addr)->sin_port = htons(lifeguard_http_port);
		addrlen = sizeof(struct sockaddr_in);
	}
	else if (inet_pton(AF_INET6, lifeguard_http_listen,
					   &((struct sockaddr_in6 *) &addr)->sin6_addr) == 1)
	{
		((struct sockaddr_in6 *) &addr)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *) &addr)->sin6_port = htons(lifeguard_http_port);
		addrlen = sizeof(struct sockaddr_in6);
	}
	else
		ereport(FATAL,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for parameter \"%s\": \"%s\"",
						"lifeguard.http_listen", lifeguard_http_listen),
				 errdetail("It is not a numeric IPv4 or IPv6 address.")));

	fd = socket(addr.ss_family, SOCK_STREAM, 0);
	if (fd == PGINVALID_SOCKET)
		ereport(FATAL,
				(errcode_for_socket_access(),
				 errmsg("could not create HTTP socket: %m")));
	(void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *) &addr, addrlen) < 0)
		ereport(FATAL,
				(errcode_for_socket_access(),
				 errmsg("could not bind HTTP endpoint to %s port %d: %m",
						lifeguard_http_listen, lifeguard_http_port),
				 errhint("Another process may use the port; the worker tries again in %d seconds.",
						 HTTP_RESTART_SECONDS)));
	if (listen(fd, HTTP_BACKLOG) < 0)
		ereport(FATAL,
				(errcode_for_socket_access(),
				 errmsg("could not listen on HTTP socket: %m")));
	set_nonblocking(fd);
	listen_fd = fd;

	ereport(LOG,
			(errmsg("HTTP endpoint listening on %s port %d",
					lifeguard_http_listen, lifeguard_http_port)));
}

static void
close_client(HttpClient *c)
{
	if (c->fd != PGINVALID_SOCKET)
		closesocket(c->fd);
	if (c->response.data != NULL)
		pfree(c->response.data);
	memset(c, 0, sizeof(HttpClient));
	c->fd = PGINVALID_SOCKET;
	c->state = CLIENT_FREE;
}

/* Start writing a response: status line, headers, body */
static void
respond(HttpClient *c, int status, const char *reason,
		const char *content_type, const char *extra_headers,
		const char *body, int bodylen)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(TopMemoryContext);

	initStringInfo(&c->response);
	appendStringInfo(&c->response,
					 "HTTP/1.1 %d %s\r\n"
					 "Content-Type: %s\r\n"
					 "Content-Length: %d\r\n"
					 "Cache-Control: no-store\r\n"
					 "Connection: close\r\n"
					 "%s"
					 "\r\n",
					 status, reason, content_type, bodylen,
					 extra_headers ? extra_headers : "");
	appendBinaryStringInfo(&c->response, body, bodylen);
	MemoryContextSwitchTo(oldcxt);

	c->state = CLIENT_WRITING;
	c->sent = 0;
	c->deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
											  HTTP_WRITE_TIMEOUT_MS);
}

static void
respond_error(HttpClient *c, int status, const char *reason,
			  const char *extra_headers)
{
	char		body[128];

	snprintf(body, sizeof(body), "%d %s\n", status, reason);
	respond(c, status, reason, "text/plain; charset=utf-8", extra_headers,
			body, strlen(body));
}

/* Compare without leaking, through timing, how much of the token matched */
static bool
token_matches(const char *given, int givenlen, const char *token)
{
	int			tokenlen = strlen(token);
	unsigned char diff = (givenlen != tokenlen);
	int			i;

	for (i = 0; i < tokenlen; i++)
		diff |= (unsigned char) token[i] ^
			(unsigned char) (i < givenlen ? given[i] : 0);
	return diff == 0;
}

/*
 * Is the request authorized?  With no token set, yes.  Headers are the
 * NUL-terminated lines after the request line.
 */
static bool
authorized(char *headers)
{
	char	   *line;
	char	   *save = NULL;

	if (lifeguard_http_token == NULL || lifeguard_http_token[0] == '\0')
		return true;

	for (line = strtok_r(headers, "\r\n", &save); line != NULL;
		 line = strtok_r(NULL, "\r\n", &save))
	{
		char	   *value;

		if (pg_strncasecmp(line, "Authorization:", 14) != 0)
			continue;
		value = line + 14;
		while (*value == ' ' || *value == '\t')
			value++;
		if (pg_strncasecmp(value, "Bearer ", 7) != 0)
			return false;
		value += 7;
		while (*value == ' ')
			value++;
		return token_matches(value, strlen(value), lifeguard_http_token);
	}
	return false;
}

/*
 * The value of "since" in a query string: a non-negative integer, 0 when
 * absent.  Returns false when it is not one.
 */
static bool
parse_since(const char *query, uint64 *since)
{
	const char *p = query;

	*since = 0;
	while (p != NULL && *p != '\0')
	{
		if (strncmp(p, "since=", 6) == 0)
		{
			const char *digits = p + 6;
			char	   *end;

			if (*digits < '0' || *digits > '9')
				return false;
			errno = 0;
			*since = strtoull(digits, &end, 10);
			if (errno != 0 || (*end != '\0' && *end != '&'))
				return false;
		}
		p = strchr(p, '&');
		if (p != NULL)
			p++;
	}
	return true;
}

/*
 * GET /events?since=N: the ring's events after sequence number N, oldest
 * first, at most HTTP_MAX_EVENTS of them.
 */
static void
events_json(StringInfo buf, uint64 since)
{
	LifeguardEvent *copy;
	uint64		first;
	uint64		last;
	uint64		next = since;
	int			n;
	int			i;

	copy = palloc(sizeof(LifeguardEvent) * HTTP_MAX_EVENTS);
	n = lifeguard_events_copy(since, copy, HTTP_MAX_EVENTS, &first, &last);

	appendStringInfoString(buf, "{\"events\": [");
	for (i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoString(buf, ",\n");
		lifeguard_event_json(buf, &copy[i]);
		next = copy[i].seq;
	}
	appendStringInfo(buf, "], \"next_since\": " UINT64_FORMAT
					 ", \"first_seq\": " UINT64_FORMAT
					 ", \"last_seq\": " UINT64_FORMAT "}\n",
					 next, first, last);
	pfree(copy);
}

/* Build the answer to a GET of this path (query string split off) */
static void
serve_path(HttpClient *c, const char *path, const char *query)
{
	StringInfoData body;

	initStringInfo(&body);
	if (strcmp(path, "/metrics") == 0)
	{
		lifeguard_metrics_text(&body);
		respond(c, 200, "OK", "text/plain; version=0.0.4; charset=utf-8",
				NULL, body.data, body.len);
	}
	else if (strcmp(path, "/health") == 0)
	{
		LifeguardLevel level = lifeguard_health_json(&body);

		if (level == LG_LEVEL_CRITICAL)
			respond(c, 503, "Service Unavailable", "application/json",
					NULL, body.data, body.len);
		else
			respond(c, 200, "OK", "application/json", NULL,
					body.data, body.len);
	}
	else if (strcmp(path, "/events") == 0)
	{
		uint64		since;

		if (!parse_since(query, &since))
			respond_error(c, 400, "Bad Request", NULL);
		else
		{
			events_json(&body, since);
			respond(c, 200, "OK", "application/json", NULL,
					body.data, body.len);
		}
	}
	else
		respond_error(c, 404, "Not Found", NULL);
	pfree(body.data);
}

/*
 * A whole request head has arrived: check it and answer.  Runs in a
 * transaction of its own (names come from the shared catalogs); an ERROR
 * becomes a 500.
 */
static void
handle_request(HttpClient *c)
{
	char	   *line_end;
	char	   *method;
	char	   *target;
	char	   *version;
	char	   *query;
	char	   *save = NULL;
	MemoryContext oldcxt = CurrentMemoryContext;

	/* the request line; the headers follow it */
	line_end = strstr(c->request, "\r\n");
	if (line_end == NULL)
		line_end = strchr(c->request, '\n');
	if (line_end == NULL)
	{
		respond_error(c, 400, "Bad Request", NULL);
		return;
	}
	*line_end = '\0';
	method = strtok_r(c->request, " ", &save);
	target = strtok_r(NULL, " ", &save);
	version = strtok_r(NULL, " ", &save);
	if (method == NULL || target == NULL || version == NULL ||
		strtok_r(NULL, " ", &save) != NULL ||
		strncmp(version, "HTTP/1.", 7) != 0 || target[0] != '/')
	{
		respond_error(c, 400, "Bad Request", NULL);
		return;
	}
	if (strcmp(method, "GET") != 0)
	{
		respond_error(c, 405, "Method Not Allowed", "Allow: GET\r\n");
		return;
	}
	if (!authorized(line_end + 1))
	{
		respond_error(c, 401, "Unauthorized",
					  "WWW-Authenticate: Bearer realm=\"pg_lifeguard\"\r\n");
		return;
	}

	query = strchr(target, '?');
	if (query != NULL)
		*query++ = '\0';

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PG_TRY();
	{
		serve_path(c, target, query);
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		edata = lifeguard_catch_error(oldcxt);
		AbortCurrentTransaction();
		MemoryContextSwitchTo(oldcxt);
		ereport(LOG,
				(errmsg("HTTP request for \"%s\" failed: %s",
						target, edata->message)));
		FreeErrorData(edata);
		if (c->state == CLIENT_WRITING && c->response.data != NULL)
		{
			pfree(c->response.data);
			c->response.data = NULL;
		}
		respond_error(c, 500, "Internal Server Error", NULL);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcxt);
}

/*
 * A slot for a new connection: a free one, or else one whose response is
 * sent, or else the one that has been reading its request for longest,
 * which is closed.  So connections that send nothing (or send slowly)
 * cannot keep others out.  NULL when every connection is writing its
 * response.
 */
static HttpClient *
client_slot(void)
{
	HttpClient *oldest = NULL;
	int			i;

	for (i = 0; i < HTTP_MAX_CLIENTS; i++)
	{
		HttpClient *c = &clients[i];

		if (c->state == CLIENT_FREE)
			return c;
		if (c->state == CLIENT_CLOSING)
			oldest = c;			/* already answered: the first to go */
		else if (c->state == CLIENT_READING &&
				 (oldest == NULL || (oldest->state == CLIENT_READING &&
									 c->deadline < oldest->deadline)))
			oldest = c;
	}
	if (oldest != NULL)
		close_client(oldest);
	return oldest;
}

/* Read what has arrived; answer once the request head is complete */
static void
read_client(HttpClient *c)
{
	ssize_t		n;

	n = recv(c->fd, c->request + c->reqlen, HTTP_MAX_REQUEST - c->reqlen, 0);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
				   errno != EINTR))
	{
		close_client(c);		/* the client went away */
		return;
	}
	if (n < 0)
		return;
	c->reqlen += n;
	c->request[c->reqlen] = '\0';

	if (memchr(c->request, '\0', c->reqlen) != NULL)
		respond_error(c, 400, "Bad Request", NULL);
	else if (strstr(c->request, "\r\n\r\n") != NULL ||
			 strstr(c->request, "\n\n") != NULL)
		handle_request(c);
	else if (c->reqlen >= HTTP_MAX_REQUEST)
		respond_error(c, 431, "Request Header Fields Too Large", NULL);
}

/* Send what the socket takes; close when all is sent */
static void
write_client(HttpClient *c)
{
	ssize_t		n;

	n = send(c->fd, c->response.data + c->sent, c->response.len - c->sent,
			 MSG_NOSIGNAL);
	if (n < 0)
	{
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			close_client(c);
		return;
	}
	c->sent += n;
	if (c->sent >= c->response.len)
	{
		/*
		 * No more requests on this connection.  Closing it now, with some of
		 * the request (a body, the rest of an oversized head) still unread,
		 * would reset the connection and could destroy the response before
		 * the client reads it: say we are done, and read until the client
		 * closes too, for at most HTTP_LINGER_MS.
		 */
		shutdown(c->fd, SHUT_WR);
		pfree(c->response.data);
		c->response.data = NULL;
		c->state = CLIENT_CLOSING;
		c->deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
												  HTTP_LINGER_MS);
	}
}

/* Read and drop what a client sends after its response; close at its end */
static void
drain_client(HttpClient *c)
{
	char		scratch[4096];
	ssize_t		n;

	n = recv(c->fd, scratch, sizeof(scratch), 0);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
				   errno != EINTR))
		close_client(c);
}

/*
 * Accept every waiting connection there is room for, and read at once what
 * each has already sent.  A failure other than "nothing waiting" (out of
 * file descriptors, say) pauses accepting for HTTP_ACCEPT_PAUSE_MS, since
 * the listening socket stays readable and would otherwise spin the loop.
 */
static void
accept_clients(void)
{
	for (;;)
	{
		HttpClient *c;
		pgsocket	fd;

		fd = accept(listen_fd, NULL, NULL);
		if (fd == PGINVALID_SOCKET)
		{
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
				errno != ECONNABORTED)
			{
				ereport(LOG,
						(errcode_for_socket_access(),
						 errmsg("could not accept HTTP connection: %m")));
				accept_paused_until =
					TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
												HTTP_ACCEPT_PAUSE_MS);
			}
			return;
		}
		if (!pg_set_noblock(fd))
		{
			closesocket(fd);
			continue;
		}
		(void) fcntl(fd, F_SETFD, FD_CLOEXEC);

		/* only now make room, so no reader is closed for nothing */
		c = client_slot();
		if (c == NULL)
		{
			closesocket(fd);	/* every slot is writing its response */
			return;
		}
		c->fd = fd;
		c->state = CLIENT_READING;
		c->reqlen = 0;
		c->deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
												  HTTP_READ_TIMEOUT_MS);
		read_client(c);
	}
}

/*
 * The wait timeout (ms, -1 for none) that also ends just after "when".
 */
static long
wake_by(long timeout, TimestampTz now, TimestampTz when)
{
	long		secs;
	int			usecs;
	long		ms;

	TimestampDifference(now, when, &secs, &usecs);
	ms = secs * 1000 + usecs / 1000 + 1;
	return (timeout < 0 || ms < timeout) ? ms : timeout;
}

/*
 * Entry point of the HTTP worker.
 */
void
lifeguard_http_main(Datum main_arg)
{
	MemoryContext loop_context;
	WaitEvent	events[HTTP_MAX_CLIENTS + 3];
	int			i;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	if (!lifeguard_shmem_attached())
		elog(FATAL, "shared memory of pg_lifeguard is not initialized");

	/* no database: shared catalogs only, for role and database names */
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	/* before any SQL: names resolve in pg_catalog alone (privileges.c) */
	lifeguard_pin_worker_search_path();

	for (i = 0; i < HTTP_MAX_CLIENTS; i++)
	{
		memset(&clients[i], 0, sizeof(HttpClient));
		clients[i].fd = PGINVALID_SOCKET;
	}
	open_listener();

	loop_context = AllocSetContextCreate(TopMemoryContext,
										 "pg_lifeguard http",
										 ALLOCSET_DEFAULT_SIZES);

	for (;;)
	{
		WaitEventSet *set;
		TimestampTz now;
		long		timeout = -1;
		int			nwriting = 0;
		int			nready;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		/* drop connections past their deadline (slow or stuck clients) */
		now = GetCurrentTimestamp();
		for (i = 0; i < HTTP_MAX_CLIENTS; i++)
		{
			HttpClient *c = &clients[i];

			if (c->state == CLIENT_FREE)
				continue;
			if (now >= c->deadline)
			{
				close_client(c);
				continue;
			}
			if (c->state == CLIENT_WRITING)
				nwriting++;
			timeout = wake_by(timeout, now, c->deadline);
		}

		MemoryContextSwitchTo(loop_context);
		set = lifeguard_create_wait_event_set(loop_context, HTTP_MAX_CLIENTS + 3);
		AddWaitEventToSet(set, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
		AddWaitEventToSet(set, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, NULL, NULL);
		if (now < accept_paused_until)
			timeout = wake_by(timeout, now, accept_paused_until);
		else if (nwriting < HTTP_MAX_CLIENTS)
			AddWaitEventToSet(set, WL_SOCKET_READABLE, listen_fd, NULL, NULL);
		for (i = 0; i < HTTP_MAX_CLIENTS; i++)
		{
			HttpClient *c = &clients[i];

			if (c->state == CLIENT_READING || c->state == CLIENT_CLOSING)
				AddWaitEventToSet(set, WL_SOCKET_READABLE, c->fd, NULL, c);
			else if (c->state == CLIENT_WRITING)
				AddWaitEventToSet(set, WL_SOCKET_WRITEABLE, c->fd, NULL, c);
		}

		nready = WaitEventSetWait(set, timeout, events, lengthof(events),
								  PG_WAIT_EXTENSION);
		FreeWaitEventSet(set);

		for (i = 0; i < nready; i++)
		{
			WaitEvent  *ev = &events[i];
			HttpClient *c = (HttpClient *) ev->user_data;

			if (ev->events & WL_LATCH_SET)
				ResetLatch(MyLatch);
			else if (c == NULL && (ev->events & WL_SOCKET_READABLE))
				accept_clients();
			else if (c != NULL && c->state == CLIENT_READING &&
					 (ev->events & WL_SOCKET_READABLE))
				read_client(c);
			else if (c != NULL && c->state == CLIENT_WRITING &&
					 (ev->events & WL_SOCKET_WRITEABLE))
				write_client(c);
			else if (c != NULL && c->state == CLIENT_CLOSING &&
					 (ev->events & WL_SOCKET_READABLE))
				drain_client(c);
		}

		MemoryContextSwitchTo(TopMemoryContext);
		MemoryContextReset(loop_context);
	}
}
