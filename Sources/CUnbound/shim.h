// libunbound (Debian libunbound-dev): the DNS resolver behind Mailsift's DNS port (MailsiftDNS).
#include <unbound.h>
#include <poll.h>
