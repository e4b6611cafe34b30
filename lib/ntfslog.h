/*
 * ntfslog.h - libntfs-3g's messages, kept instead of printed. One handler
 * serves the whole process (the probes and the actions that use the
 * library): the last error is kept as detail for JSON and the audit log,
 * never shown raw.
 */
#ifndef WINRESCUE_NTFSLOG_H
#define WINRESCUE_NTFSLOG_H

/* Install the handler (once) and forget the last message. */
void ntfslog_reset(void);
/* The library's last error message since ntfslog_reset(), or "" . */
const char *ntfslog_last(void);

#endif
