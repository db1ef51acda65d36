/* units.c — see units.h. */
#include "units.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <strings.h>

int units_parse_bytes(const char *s, uint64_t *out, struct sb_err *err)
{
	if (!s || !*s)
		return sb_errf(err, SB_E_INVAL, "empty size");
	if (!isdigit((unsigned char)*s))
		return sb_errf(err, SB_E_INVAL, "size '%s' does not start with a digit", s);
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return sb_errf(err, SB_E_TOO_BIG, "size '%s' is too large", s);
	static const struct {
		const char *suffix;
		unsigned shift;
	} units[] = {
		{ "", 0 },     { "B", 0 },    { "K", 10 },   { "KB", 10 }, { "KiB", 10 },
		{ "M", 20 },   { "MB", 20 },  { "MiB", 20 }, { "G", 30 },  { "GB", 30 },
		{ "GiB", 30 }, { "T", 40 },   { "TiB", 40 },
	};
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcasecmp(end, units[i].suffix) != 0)
			continue;
		unsigned shift = units[i].shift;
		if (shift && v > (UINT64_MAX >> shift))
			return sb_errf(err, SB_E_TOO_BIG, "size '%s' is too large", s);
		*out = (uint64_t)v << shift;
		return 0;
	}
	return sb_errf(err, SB_E_INVAL,
		       "size '%s' has an unknown unit '%s' (want K, M, G or T, binary)", s, end);
}
