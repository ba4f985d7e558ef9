/* The parsing half of the trace-merge test program (parse.c). */
#ifndef PARSE_H
#define PARSE_H

int foo_parse(const char *s, int n);
int load_config(const char *s);
int parse_text(const char *s);
int never_called(const char *s);
int by_name(const char *s);
int legacy_format(const char *s);

#endif
