/* TCP set-up for the experiment's programs: listen and accept one, or connect. */
#ifndef NP_CONNECT_H
#define NP_CONNECT_H

/* Returns a connected socket with TCP_NODELAY, or -1 with a line on stderr. */
int np_accept_one(const char *ip, int port);
int np_connect_to(const char *ip, int port);

#endif
