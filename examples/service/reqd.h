/*
 * reqd.h - what the example service reqd and its parser plugin share: one
 * parsed request, and the one function the plugin exports.
 */
#ifndef REQD_H
#define REQD_H

#define REQD_KEY_MAX   32
#define REQD_VALUE_MAX 64

struct request {
	char verb[8];			/* GET, PUT, DEL, STAT */
	int version;			/* header version: 1 (legacy) or 2 */
	int priority;
	char key[REQD_KEY_MAX];
	char value[REQD_VALUE_MAX];
};

/* The plugin's entry point, looked up with dlsym(3): 0, or -1 for a line
 * that is not a request. */
typedef int (*reqparse_fn)(const char *line, struct request *req);
#define REQPARSE_SYMBOL "reqparse_line"

#endif
