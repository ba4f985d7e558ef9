/*
 * live_win.c - live capture through the ETW API (Windows only: etw/windows.mk
 * builds it into etw-capture.exe; the Linux build uses live_stub.c).
 *
 * The sequence (research/etw.md §3, PerfView's TraceEventSession):
 *   1. enable SeSystemProfilePrivilege;
 *   2. TraceSetInformation(0, TraceSampledProfileIntervalInfo) - global and
 *      refused inside containers, so a failure there is only a warning;
 *   3. stop a stale session of our name, then StartTraceW in real-time +
 *      system logger mode (Windows 8+) with the process, thread, image load
 *      and profile kernel flags; on older systems the NT Kernel Logger;
 *   4. TraceSetInformation(TraceStackTracingInfo) for SampledProfile (no
 *      stack caching: it fails in containers);
 *   5. the CLR runtime provider (loader, JIT, NGen keywords) with the silo
 *      and container-tracking properties, so events from process-isolated
 *      containers flow out with their container id;
 *   6. OpenTraceW real-time, EVENT_RECORD callbacks, raw (QPC) timestamps
 *      so StackWalk's EventTimeStamp matches the sample's; ProcessTrace on
 *      a worker thread;
 *   7. Ctrl-C or --duration: CLR rundown (method ranges still loaded), wait
 *      for it to go quiet, ControlTraceW(STOP), join the worker, CloseTrace.
 * Events go through etl_live (portable) into the same edge builder as .etl
 * files; image identities come from the PE files on disk. At the end native
 * frames are named with DbgHelp where PDBs are reachable (_NT_SYMBOL_PATH,
 * or beside the image), else they stay module+RVA with the PDB identity.
 *
 * Wine 8 stubs ETW (TraceSetInformation returns ERROR_CALL_NOT_IMPLEMENTED,
 * OpenTraceW fails): that is reported as one clear line, exit status 4.
 */
#ifndef _WIN32
#error "live_win.c is part of the Windows build only (etw/windows.mk)"
#endif

#ifndef _WIN32_WINNT
#define _WIN32_WINNT 0x0602
#endif
#ifndef WINVER
#define WINVER _WIN32_WINNT
#endif

#include <windows.h>
#include <evntrace.h>
#include <evntcons.h>
#include <dbghelp.h>
#include <fcntl.h>
#include <io.h>
#include <objbase.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etl_live.h"
#include "live.h"
#include "pe_ident.h"

/* ---- what mingw-w64 does not declare (research/etw.md §3) ---------------- */

#ifndef EVENT_ENABLE_PROPERTY_ENABLE_SILOS
#define EVENT_ENABLE_PROPERTY_ENABLE_SILOS		0x400
#endif
#ifndef EVENT_ENABLE_PROPERTY_SOURCE_CONTAINER_TRACKING
#define EVENT_ENABLE_PROPERTY_SOURCE_CONTAINER_TRACKING	0x800
#endif

/* Kernel classes and CLR providers (not in any import library). */
static const GUID guid_perfinfo = { 0xce1dbfb4, 0x137e, 0x4da6,
	{ 0x87, 0xb0, 0x3f, 0x59, 0xaa, 0x10, 0x2c, 0xbc } };
static const GUID guid_system_trace = { 0x9e814aad, 0x3204, 0x11d2,
	{ 0x9a, 0x82, 0x00, 0x60, 0x08, 0xa8, 0x69, 0x39 } };
static const GUID guid_clr_runtime = { 0xe13c0d23, 0xccbc, 0x4e12,
	{ 0x93, 0x1b, 0xd9, 0xcc, 0x2e, 0xee, 0x27, 0xe4 } };
static const GUID guid_clr_rundown = { 0xa669021c, 0xc450, 0x4609,
	{ 0xa0, 0x35, 0x5a, 0xf5, 0x9a, 0xf4, 0xdf, 0x18 } };

#define OPCODE_SAMPLED_PROFILE	46
#define CLR_RUNTIME_KEYWORDS	(0x8 | 0x10 | 0x20)		/* Loader, Jit, NGen */
#define CLR_RUNDOWN_KEYWORDS	(0x8 | 0x10 | 0x20 | 0x100)	/* ... + End rundown */
#define RUNDOWN_QUIET_MS	1000	/* rundown done when quiet this long */
#define RUNDOWN_MAX_MS		15000
#define SESSION_NAME		L"tracemerge-etw-capture"
#define MAX_EXT			16

/*
 * The console control handler gets no context argument: the event it sets
 * to stop the capture is the one piece of process-wide state here. It is
 * set before the handler is installed and cleared after it is removed.
 */
static HANDLE ctrl_stop_event;

static BOOL WINAPI on_ctrl(DWORD type)
{
	switch (type) {
	case CTRL_C_EVENT:
	case CTRL_BREAK_EVENT:
	case CTRL_CLOSE_EVENT:
		if (ctrl_stop_event)
			SetEvent(ctrl_stop_event);
		return TRUE;
	}
	return FALSE;
}

void live_platform_init(void)
{
	/* Streams and .etl files are binary: no CR/LF translation, no ^Z. */
	_setmode(_fileno(stdin), _O_BINARY);
	_setmode(_fileno(stdout), _O_BINARY);
}

int live_available(struct tm_err *err)
{
	(void)err;
	return 0;
}

/* ---- errors ----------------------------------------------------------------- */

/* "wine 8.0" when running under wine, else NULL. */
static const char *wine_version(void)
{
	HMODULE nt = GetModuleHandleA("ntdll.dll");
	FARPROC fp = nt ? GetProcAddress(nt, "wine_get_version") : NULL;
	const char *(*fn)(void);

	if (!fp)
		return NULL;
	memcpy(&fn, &fp, sizeof fn);
	return fn();
}

/* The system's text for a Win32 error, without the trailing period and CR/LF. */
static void win_error_text(DWORD code, char *buf, size_t cap)
{
	DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL,
	    code, 0, buf, (DWORD)cap, NULL);

	while (n > 0 && (buf[n - 1] == '\r' || buf[n - 1] == '\n' || buf[n - 1] == '.' ||
	    buf[n - 1] == ' '))
		buf[--n] = '\0';
	if (n == 0)
		snprintf(buf, cap, "error %lu", (unsigned long)code);
}

/* One line for a failed ETW call; ERROR_CALL_NOT_IMPLEMENTED says why. */
static int etw_fail(struct tm_err *err, const char *call, DWORD code)
{
	char text[256];
	const char *wine = wine_version();

	if (code == ERROR_CALL_NOT_IMPLEMENTED) {
		if (wine)
			tm_err_set(err, TM_EXIT_ENV, "live capture: %s: ETW is not implemented here "
			    "(wine %s stubs it); decode a trace recorded on Windows with --etl FILE",
			    call, wine);
		else
			tm_err_set(err, TM_EXIT_ENV, "live capture: %s: ETW is not implemented on "
			    "this system; decode a trace recorded on Windows with --etl FILE", call);
		return -1;
	}
	win_error_text(code, text, sizeof text);
	if (code == ERROR_ACCESS_DENIED)
		tm_err_set(err, TM_EXIT_ENV, "live capture: %s: %s (run from an elevated prompt, "
		    "or as a member of Performance Log Users)", call, text);
	else
		tm_err_set(err, TM_EXIT_ENV, "live capture: %s: %s (error %lu)%s%s", call, text,
		    (unsigned long)code, wine ? "; under wine " : "", wine ? wine : "");
	return -1;
}

/* ---- paths ------------------------------------------------------------------ */

struct devmap {
	WCHAR drive[3];			/* "C:" */
	WCHAR target[MAX_PATH];		/* "\Device\HarddiskVolume2" */
	size_t len;
};

struct paths {
	struct devmap dev[26];
	int ndev;
	WCHAR windir[MAX_PATH];
};

static void paths_init(struct paths *p)
{
	memset(p, 0, sizeof *p);
	for (WCHAR c = L'A'; c <= L'Z'; c++) {
		struct devmap *d = &p->dev[p->ndev];
		d->drive[0] = c;
		d->drive[1] = L':';
		if (QueryDosDeviceW(d->drive, d->target, MAX_PATH)) {
			d->len = wcslen(d->target);
			p->ndev++;
		}
	}
	if (!GetWindowsDirectoryW(p->windir, MAX_PATH))
		p->windir[0] = L'\0';
}

static int has_prefix_ci(const WCHAR *s, const WCHAR *prefix, size_t n)
{
	return _wcsnicmp(s, prefix, n) == 0;
}

/* An NT path as the kernel logs it, as a path Win32 can open. */
static int nt_to_dos(const struct paths *p, const char *nt, WCHAR *out, size_t cap)
{
	WCHAR w[MAX_PATH * 2];
	const WCHAR *rest;

	if (!MultiByteToWideChar(CP_UTF8, 0, nt, -1, w, (int)(sizeof w / sizeof w[0])))
		return 0;
	out[0] = L'\0';
	if (has_prefix_ci(w, L"\\SystemRoot\\", 12) && p->windir[0]) {
		_snwprintf(out, cap, L"%ls%ls", p->windir, w + 11);
	} else if (has_prefix_ci(w, L"\\??\\", 4)) {
		_snwprintf(out, cap, L"%ls", w + 4);
	} else if (w[0] && w[1] == L':') {
		_snwprintf(out, cap, L"%ls", w);
	} else {
		for (int i = 0; i < p->ndev; i++) {
			const struct devmap *d = &p->dev[i];
			if (has_prefix_ci(w, d->target, d->len) && w[d->len] == L'\\') {
				rest = w + d->len;
				_snwprintf(out, cap, L"%ls%ls", d->drive, rest);
				break;
			}
		}
	}
	out[cap - 1] = L'\0';
	return out[0] != L'\0';
}

/* ---- PE identity from disk (etl_live's identify callback) ------------------ */

static long read_handle(void *ctx, uint64_t off, void *buf, size_t n)
{
	HANDLE h = ctx;
	LARGE_INTEGER li;
	DWORD got = 0;

	li.QuadPart = (LONGLONG)off;
	if (!SetFilePointerEx(h, li, NULL, FILE_BEGIN))
		return -1;
	if (!ReadFile(h, buf, (DWORD)n, &got, NULL))
		return -1;
	return (long)got;
}

static int identify(void *ctx, const char *nt_path, struct pe_ident *id)
{
	const struct paths *p = ctx;
	WCHAR dos[MAX_PATH * 2];

	if (!nt_to_dos(p, nt_path, dos, sizeof dos / sizeof dos[0]))
		return 0;
	HANDLE h = CreateFileW(dos, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE |
	    FILE_SHARE_DELETE, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
	if (h == INVALID_HANDLE_VALUE)
		return 0;
	int rc = pe_ident_read(read_handle, h, id);
	CloseHandle(h);
	return rc == ETL_OK;
}

/* ---- DbgHelp (etl_edges' symbolize callback, at the end) -------------------- */

struct symmod {
	char *path;			/* NT path as in the trace */
	DWORD64 base;			/* where DbgHelp loaded it, 0 = not usable */
};

struct symbols {
	const struct paths *paths;
	HANDLE h;			/* DbgHelp's process handle: any unique value */
	int state;			/* 0 not started, 1 ready, -1 unavailable */
	struct symmod *mods;
	size_t n, cap;
	DWORD64 next_base;
	SYMBOL_INFOW *info;
	uint64_t named;
};

static struct symmod *symmod_get(struct symbols *s, const char *path)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->mods[i].path, path) == 0)
			return &s->mods[i];
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 64;
		struct symmod *nm = realloc(s->mods, ncap * sizeof *nm);
		if (!nm)
			return NULL;
		s->mods = nm;
		s->cap = ncap;
	}
	struct symmod *m = &s->mods[s->n];
	m->path = _strdup(path);
	m->base = 0;
	if (!m->path)
		return NULL;
	s->n++;

	WCHAR dos[MAX_PATH * 2];
	if (!nt_to_dos(s->paths, path, dos, sizeof dos / sizeof dos[0]))
		return m;
	/* Each image at its own 4 GiB slot: addresses are base + RVA. */
	DWORD64 base = SymLoadModuleExW(s->h, NULL, dos, NULL, s->next_base, 0, NULL, 0);
	if (!base)
		return m;
	s->next_base += (DWORD64)1 << 32;
	IMAGEHLP_MODULEW64 mi;
	memset(&mi, 0, sizeof mi);
	mi.SizeOfStruct = sizeof mi;
	/* Names from PDBs only: export names would mislabel internal functions. */
	if (SymGetModuleInfoW64(s->h, base, &mi) && (mi.SymType == SymPdb || mi.SymType == SymDia))
		m->base = base;
	else
		SymUnloadModule64(s->h, base);
	return m;
}

static int symbolize(void *ctx, const struct etl_edge_end *e, uint64_t rva, char *buf,
    size_t cap, uint64_t *sym_rva)
{
	struct symbols *s = ctx;
	DWORD64 disp = 0;

	if (!e->path[0] || e->managed || s->state < 0)
		return 0;
	if (s->state == 0) {
		SymSetOptions(SYMOPT_UNDNAME | SYMOPT_FAIL_CRITICAL_ERRORS | SYMOPT_NO_PROMPTS);
		s->h = (HANDLE)s;
		s->next_base = (DWORD64)1 << 40;
		s->info = calloc(1, sizeof(SYMBOL_INFOW) + MAX_SYM_NAME * sizeof(WCHAR));
		/* NULL search path: _NT_SYMBOL_PATH, _NT_ALTERNATE_SYMBOL_PATH, beside the image. */
		s->state = (s->info && SymInitializeW(s->h, NULL, FALSE)) ? 1 : -1;
		if (s->state < 0)
			return 0;
	}
	struct symmod *m = symmod_get(s, e->path);
	if (!m || !m->base)
		return 0;
	memset(s->info, 0, sizeof(SYMBOL_INFOW));
	s->info->SizeOfStruct = sizeof(SYMBOL_INFOW);
	s->info->MaxNameLen = MAX_SYM_NAME;
	if (!SymFromAddrW(s->h, m->base + rva, &disp, s->info) || s->info->Address < m->base)
		return 0;
	if (!WideCharToMultiByte(CP_UTF8, 0, s->info->Name, -1, buf, (int)cap, NULL, NULL))
		return 0;
	*sym_rva = s->info->Address - m->base;
	s->named++;
	return 1;
}

static void symbols_free(struct symbols *s)
{
	if (s->state > 0)
		SymCleanup(s->h);
	for (size_t i = 0; i < s->n; i++)
		free(s->mods[i].path);
	free(s->mods);
	free(s->info);
}

/* ---- the session ----------------------------------------------------------- */

struct live {
	const struct live_opts *o;
	struct etl_live *lv;
	EVENT_TRACE_PROPERTIES *props;
	WCHAR name[64];
	TRACEHANDLE session;
	TRACEHANDLE consumer;
	HANDLE worker;
	ULONG process_rc;
	volatile LONG64 events, samples, rundown_events;
	volatile LONG failed;		/* the builder ran out of memory */
	int started, kernel_logger;
};

static VOID WINAPI on_event(PEVENT_RECORD r)
{
	struct live *L = r->UserContext;
	struct etl_live_record rec;
	struct etl_live_ext ext[MAX_EXT];

	if (L->failed)
		return;
	memset(&rec, 0, sizeof rec);
	memcpy(rec.provider, &r->EventHeader.ProviderId, 16);
	rec.flags = r->EventHeader.Flags;
	rec.id = r->EventHeader.EventDescriptor.Id;
	rec.version = r->EventHeader.EventDescriptor.Version;
	rec.opcode = r->EventHeader.EventDescriptor.Opcode;
	rec.level = r->EventHeader.EventDescriptor.Level;
	rec.task = r->EventHeader.EventDescriptor.Task;
	rec.keyword = r->EventHeader.EventDescriptor.Keyword;
	rec.pid = r->EventHeader.ProcessId;
	rec.tid = r->EventHeader.ThreadId;
	rec.ts = (uint64_t)r->EventHeader.TimeStamp.QuadPart;
	rec.cpu = r->BufferContext.ProcessorNumber;
	rec.data = r->UserData;
	rec.len = r->UserDataLength;
	if (r->ExtendedData) {
		for (USHORT i = 0; i < r->ExtendedDataCount && rec.next < MAX_EXT; i++) {
			const EVENT_HEADER_EXTENDED_DATA_ITEM *x = &r->ExtendedData[i];
			ext[rec.next++] = (struct etl_live_ext){ x->ExtType, x->DataSize,
			    (const void *)(uintptr_t)x->DataPtr };
		}
		rec.ext = ext;
	}
	if (etl_live_add(L->lv, &rec) != ETL_OK)
		InterlockedExchange(&L->failed, 1);
	InterlockedIncrement64(&L->events);
	if (IsEqualGUID(&r->EventHeader.ProviderId, &guid_perfinfo) &&
	    rec.opcode == OPCODE_SAMPLED_PROFILE)
		InterlockedIncrement64(&L->samples);
	else if (IsEqualGUID(&r->EventHeader.ProviderId, &guid_clr_rundown))
		InterlockedIncrement64(&L->rundown_events);
}

static DWORD WINAPI worker_main(LPVOID arg)
{
	struct live *L = arg;

	L->process_rc = ProcessTrace(&L->consumer, 1, NULL, NULL);
	return 0;
}

static DWORD enable_profile_privilege(void)
{
	HANDLE tok;
	TOKEN_PRIVILEGES tp;
	DWORD rc;

	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY, &tok))
		return GetLastError();
	memset(&tp, 0, sizeof tp);
	tp.PrivilegeCount = 1;
	tp.Privileges[0].Attributes = SE_PRIVILEGE_ENABLED;
	if (!LookupPrivilegeValueW(NULL, L"SeSystemProfilePrivilege", &tp.Privileges[0].Luid)) {
		rc = GetLastError();
		CloseHandle(tok);
		return rc;
	}
	/* Succeeds even when the privilege is not held: then the error is NOT_ALL_ASSIGNED. */
	AdjustTokenPrivileges(tok, FALSE, &tp, sizeof tp, NULL, NULL);
	rc = GetLastError();
	CloseHandle(tok);
	return rc;
}

/* EVENT_TRACE_PROPERTIES followed by room for the logger name. */
static EVENT_TRACE_PROPERTIES *props_new(const WCHAR *name, int kernel_logger)
{
	size_t size = sizeof(EVENT_TRACE_PROPERTIES) + 2 * 1024 * sizeof(WCHAR);
	EVENT_TRACE_PROPERTIES *p = calloc(1, size);

	if (!p)
		return NULL;
	p->Wnode.BufferSize = (ULONG)size;
	p->Wnode.Flags = WNODE_FLAG_TRACED_GUID;
	p->Wnode.ClientContext = 1;		/* QPC time stamps */
	if (kernel_logger)
		p->Wnode.Guid = guid_system_trace;
	else if (CoCreateGuid(&p->Wnode.Guid) != S_OK)
		p->Wnode.Guid.Data1 = GetCurrentProcessId() ^ GetTickCount();
	p->LogFileMode = EVENT_TRACE_REAL_TIME_MODE |
	    (kernel_logger ? 0 : EVENT_TRACE_SYSTEM_LOGGER_MODE);
	p->EnableFlags = EVENT_TRACE_FLAG_PROCESS | EVENT_TRACE_FLAG_THREAD |
	    EVENT_TRACE_FLAG_IMAGE_LOAD | EVENT_TRACE_FLAG_PROFILE;
	/* 256 KiB buffers, at most 64 MiB: ample for 1 kHz stacks on many CPUs. */
	p->BufferSize = 256;			/* KiB */
	p->MinimumBuffers = 16;
	p->MaximumBuffers = 256;
	p->FlushTimer = 1;
	p->LoggerNameOffset = sizeof(EVENT_TRACE_PROPERTIES);
	wcsncpy((WCHAR *)((char *)p + p->LoggerNameOffset), name, 1023);
	return p;
}

/* Stop whatever runs under the name (a capture that was killed). */
static void stop_stale(const WCHAR *name)
{
	EVENT_TRACE_PROPERTIES *p = props_new(name, 0);

	if (p) {
		ControlTraceW(0, name, p, EVENT_TRACE_CONTROL_STOP);
		free(p);
	}
}

static int start_session(struct live *L, struct tm_err *err)
{
	ULONG rc;

	for (int attempt = 0; attempt < 3; attempt++) {
		wcscpy(L->name, L->kernel_logger ? KERNEL_LOGGER_NAMEW : SESSION_NAME);
		free(L->props);
		if (!(L->props = props_new(L->name, L->kernel_logger))) {
			tm_err_set(err, TM_EXIT_ENV, "out of memory");
			return -1;
		}
		rc = StartTraceW(&L->session, L->name, L->props);
		if (rc == ERROR_SUCCESS) {
			L->started = 1;
			return 0;
		}
		if (rc == ERROR_ALREADY_EXISTS) {
			stop_stale(L->name);		/* a capture that was killed; retry */
			continue;
		}
		if (rc == ERROR_INVALID_PARAMETER && !L->kernel_logger) {
			/* Before Windows 8 there is no system logger mode. */
			L->kernel_logger = 1;
			continue;
		}
		break;
	}
	return etw_fail(err, "StartTraceW", rc);
}

static void stop_session(struct live *L)
{
	if (L->started) {
		ControlTraceW(L->session, NULL, L->props, EVENT_TRACE_CONTROL_STOP);
		L->started = 0;
	}
}

/* "prog: warning: CALL: system text: what follows" unless -q. */
static void warn(const struct live_opts *o, const char *call, DWORD code, const char *then)
{
	char text[256];

	if (o->quiet)
		return;
	win_error_text(code, text, sizeof text);
	fprintf(stderr, "%s: warning: %s: %s: %s\n", o->prog, call, text, then);
}

static void warn_text(const struct live_opts *o, const char *msg)
{
	if (!o->quiet)
		fprintf(stderr, "%s: warning: %s\n", o->prog, msg);
}

static int enable_clr(struct live *L)
{
	ENABLE_TRACE_PARAMETERS p;
	ULONG rc;

	memset(&p, 0, sizeof p);
	p.Version = ENABLE_TRACE_PARAMETERS_VERSION_2;
	/* A host session: events from process-isolated containers, with their id. */
	p.EnableProperty = EVENT_ENABLE_PROPERTY_ENABLE_SILOS |
	    EVENT_ENABLE_PROPERTY_SOURCE_CONTAINER_TRACKING;
	rc = EnableTraceEx2(L->session, &guid_clr_runtime, EVENT_CONTROL_CODE_ENABLE_PROVIDER,
	    TRACE_LEVEL_VERBOSE, CLR_RUNTIME_KEYWORDS, 0, 0, &p);
	if (rc == ERROR_INVALID_PARAMETER || rc == ERROR_NOT_SUPPORTED) {
		p.EnableProperty = 0;		/* no silos before Windows Server 2016 */
		rc = EnableTraceEx2(L->session, &guid_clr_runtime, EVENT_CONTROL_CODE_ENABLE_PROVIDER,
		    TRACE_LEVEL_VERBOSE, CLR_RUNTIME_KEYWORDS, 0, 0, &p);
	}
	return (int)rc;
}

/* Ask the CLR for the methods still loaded, and wait until it has told. */
static void clr_rundown(struct live *L)
{
	ENABLE_TRACE_PARAMETERS p;
	LONG64 last;
	DWORD quiet = 0, waited = 0;

	memset(&p, 0, sizeof p);
	p.Version = ENABLE_TRACE_PARAMETERS_VERSION_2;
	if (EnableTraceEx2(L->session, &guid_clr_rundown, EVENT_CONTROL_CODE_ENABLE_PROVIDER,
	    TRACE_LEVEL_VERBOSE, CLR_RUNDOWN_KEYWORDS, 0, 0, &p) != ERROR_SUCCESS)
		return;
	last = InterlockedCompareExchange64(&L->rundown_events, 0, 0);
	while (quiet < RUNDOWN_QUIET_MS && waited < RUNDOWN_MAX_MS) {
		if (WaitForSingleObject(L->worker, 100) == WAIT_OBJECT_0)
			break;
		waited += 100;
		LONG64 now = InterlockedCompareExchange64(&L->rundown_events, 0, 0);
		quiet = now == last ? quiet + 100 : 0;
		last = now;
	}
}

static uint64_t now_unix_ns(void)
{
	FILETIME ft;
	GetSystemTimeAsFileTime(&ft);
	return etl_filetime_unix_ns(((uint64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime);
}

static void host_name(char *buf, size_t cap)
{
	WCHAR w[256];
	DWORD n = 256;

	buf[0] = '\0';
	if (GetComputerNameExW(ComputerNameDnsHostname, w, &n) ||
	    (n = 256, GetComputerNameW(w, &n)))
		if (!WideCharToMultiByte(CP_UTF8, 0, w, -1, buf, (int)cap, NULL, NULL))
			buf[0] = '\0';
}

static void progress(struct live *L, uint64_t t0, int *shown)
{
	const struct live_opts *o = L->o;

	if (o->quiet || !(o->verbose || _isatty(_fileno(stderr))))
		return;
	fprintf(stderr, "\r%s: capturing %.0f s: %lld events, %lld samples\033[K", o->prog,
	    (double)(GetTickCount64() - t0) / 1000.0,
	    (long long)InterlockedCompareExchange64(&L->events, 0, 0),
	    (long long)InterlockedCompareExchange64(&L->samples, 0, 0));
	*shown = 1;
}

int live_run(const struct live_opts *o, const struct etl_stream_opts *so, struct es_writer *w,
    struct tm_err *err)
{
	struct live L;
	struct paths paths;
	struct symbols syms;
	struct etl_edges_opts eo;
	struct etl_stream_info info;
	struct etl_clock clk;
	struct etl_edges *b = NULL;
	LARGE_INTEGER freq, qpc;
	DWORD rc;
	int ret = -1, shown = 0;

	memset(&L, 0, sizeof L);
	memset(&syms, 0, sizeof syms);
	memset(&info, 0, sizeof info);
	L.o = o;
	L.consumer = INVALID_PROCESSTRACE_HANDLE;
	paths_init(&paths);
	syms.paths = &paths;

	/* 1. Privilege. */
	rc = enable_profile_privilege();
	if (rc == ERROR_NOT_ALL_ASSIGNED) {
		tm_err_set(err, TM_EXIT_ENV, "live capture needs SeSystemProfilePrivilege: "
		    "run from an elevated (administrator) prompt");
		return -1;
	}
	if (rc != ERROR_SUCCESS)
		return etw_fail(err, "AdjustTokenPrivileges(SeSystemProfilePrivilege)", rc);

	/* 2. Sampling interval (100 ns units). */
	TRACE_PROFILE_INTERVAL pi = { 0, (ULONG)((o->interval_ns ? o->interval_ns : 1000000) / 100) };
	rc = TraceSetInformation(0, TraceSampledProfileIntervalInfo, &pi, sizeof pi);
	if (rc == ERROR_CALL_NOT_IMPLEMENTED)
		return etw_fail(err, "TraceSetInformation", rc);
	if (rc != ERROR_SUCCESS)
		warn(o, "TraceSetInformation(TraceSampledProfileIntervalInfo)", rc,
		    "keeping the system's sampling interval");

	/* The builder, fed from the callback thread only until the worker ends. */
	QueryPerformanceFrequency(&freq);
	QueryPerformanceCounter(&qpc);
	info.start_ns = now_unix_ns();
	clk = (struct etl_clock){ 1, (uint64_t)freq.QuadPart, (uint64_t)qpc.QuadPart, info.start_ns };
	eo = *so->edges;
	eo.symbolize = symbolize;
	eo.symbolize_ctx = &syms;
	if (!(b = etl_edges_new(&eo, &clk, sizeof(void *))) ||
	    !(L.lv = etl_live_new(b, sizeof(void *), identify, &paths))) {
		tm_err_set(err, TM_EXIT_ENV, "out of memory");
		goto out;
	}

	/* 3. The session (a stale one of our name is stopped first). */
	stop_stale(SESSION_NAME);
	if (start_session(&L, err) < 0)
		goto out;

	/* 4. Stacks on every SampledProfile event. */
	CLASSIC_EVENT_ID ids[1];
	memset(ids, 0, sizeof ids);
	ids[0].EventGuid = guid_perfinfo;
	ids[0].Type = OPCODE_SAMPLED_PROFILE;
	rc = TraceSetInformation(L.session, TraceStackTracingInfo, ids, sizeof ids);
	if (rc != ERROR_SUCCESS) {
		etw_fail(err, "TraceSetInformation(TraceStackTracingInfo)", rc);
		goto out;
	}

	/* 5. .NET: JIT method ranges and module identities, containers included. */
	if (L.kernel_logger)
		warn_text(o, "no system logger mode (before Windows 8): .NET methods stay unnamed");
	else if ((rc = (DWORD)enable_clr(&L)) != ERROR_SUCCESS)
		warn(o, "EnableTraceEx2(CLR)", rc, ".NET methods stay unnamed");

	/* 6. Consume in real time on a worker thread. */
	EVENT_TRACE_LOGFILEW lf;
	memset(&lf, 0, sizeof lf);
	lf.LoggerName = L.name;
	lf.ProcessTraceMode = PROCESS_TRACE_MODE_REAL_TIME | PROCESS_TRACE_MODE_EVENT_RECORD |
	    PROCESS_TRACE_MODE_RAW_TIMESTAMP;
	lf.EventRecordCallback = on_event;
	lf.Context = &L;
	L.consumer = OpenTraceW(&lf);
	if (L.consumer == INVALID_PROCESSTRACE_HANDLE) {
		etw_fail(err, "OpenTraceW", GetLastError());
		goto out;
	}
	if (!(ctrl_stop_event = CreateEventW(NULL, TRUE, FALSE, NULL)) ||
	    !(L.worker = CreateThread(NULL, 0, worker_main, &L, 0, NULL))) {
		etw_fail(err, "CreateThread", GetLastError());
		goto out;
	}
	SetConsoleCtrlHandler(on_ctrl, TRUE);

	/* 7. Until Ctrl-C, --duration, or the consumer ends on its own. */
	ULONGLONG t0 = GetTickCount64(), limit = o->duration_ns / 1000000;
	HANDLE wait[2] = { ctrl_stop_event, L.worker };
	for (;;) {
		ULONGLONG el = GetTickCount64() - t0;
		DWORD step = 1000;
		if (limit) {
			if (el >= limit)
				break;
			if (limit - el < step)
				step = (DWORD)(limit - el);
		}
		rc = WaitForMultipleObjects(2, wait, FALSE, step);
		if (rc == WAIT_OBJECT_0)
			break;
		if (rc == WAIT_OBJECT_0 + 1) {
			if (shown)
				fputs("\r\033[K", stderr);
			etw_fail(err, "ProcessTrace", L.process_rc ? L.process_rc : ERROR_NO_MORE_ITEMS);
			goto out;
		}
		progress(&L, t0, &shown);
	}
	if (shown)
		fputs("\r\033[K", stderr);
	info.end_ns = now_unix_ns();
	if (!L.kernel_logger)
		clr_rundown(&L);
	stop_session(&L);
	if (WaitForSingleObject(L.worker, 60000) != WAIT_OBJECT_0) {
		tm_err_set(err, TM_EXIT_ENV, "live capture: the consumer did not stop");
		goto out;
	}
	if (L.failed) {
		tm_err_set(err, TM_EXIT_ENV, "live capture: out of memory building the edge tables");
		goto out;
	}

	/* The stream: every edge, symbolized at the end. */
	host_name(info.host, sizeof info.host);
	info.ptrsize = (uint32_t)sizeof(void *);
	SYSTEM_INFO si;
	GetSystemInfo(&si);
	info.ncpu = si.dwNumberOfProcessors;
	info.events_lost = L.props->EventsLost;
	info.buffers_lost = (uint64_t)L.props->LogBuffersLost + L.props->RealTimeBuffersLost;
	if (etl_stream_write(w, b, so, &info, err) < 0)
		goto out;
	if (o->verbose) {
		struct etl_edges_stats st;
		struct etl_live_stats ls;
		etl_edges_get_stats(b, &st);
		etl_live_get_stats(L.lv, &ls);
		fprintf(stderr, "%s: live: %.1f s, %llu events, %llu samples, %llu stacks, "
		    "%llu images (%llu with a PDB identity), %llu frames named by DbgHelp "
		    "-> %llu edges; %llu events lost\n", o->prog,
		    (double)(info.end_ns - info.start_ns) / 1e9,
		    (unsigned long long)ls.events, (unsigned long long)st.samples,
		    (unsigned long long)st.sample_stacks, (unsigned long long)ls.images,
		    (unsigned long long)ls.identified, (unsigned long long)syms.named,
		    (unsigned long long)st.edges, (unsigned long long)info.events_lost);
	}
	ret = 0;
out:
	SetConsoleCtrlHandler(on_ctrl, FALSE);
	stop_session(&L);
	if (L.worker) {
		WaitForSingleObject(L.worker, 60000);
		CloseHandle(L.worker);
	}
	if (L.consumer != INVALID_PROCESSTRACE_HANDLE)
		CloseTrace(L.consumer);
	if (ctrl_stop_event) {
		CloseHandle(ctrl_stop_event);
		ctrl_stop_event = NULL;
	}
	symbols_free(&syms);
	etl_live_free(L.lv);
	etl_edges_free(b);
	free(L.props);
	return ret;
}
