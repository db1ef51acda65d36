/* pt_entry.c — encoding and decoding of single entries, status texts.
 * Format-generic: the format descriptor supplies the address mask and NX. */
#include "pt.h"

const char *pt_strerror(enum pt_status s)
{
	switch (s) {
	case PT_OK: return "ok";
	case PT_E_NONCANONICAL: return "non-canonical address";
	case PT_E_OVERFLOW: return "address range overflows";
	case PT_E_ALIGN: return "address or length not 4 KiB aligned";
	case PT_E_PHYS: return "physical address not representable";
	case PT_E_NOMEM: return "page-table allocation failed";
	case PT_E_READONLY: return "page-table storage is read-only";
	case PT_E_CONFLICT: return "large-page or looping entry in the way";
	case PT_E_LIMIT: return "page-table walk budget exhausted";
	case PT_E_INVAL: return "invalid argument";
	case PT_E_HOOK: return "callback failed";
	case PT_E_UNMAPPED: return "address not mapped";
	case PT_E_BAD_ENTRY: return "page-table entry the CPU would refuse (PS at a level without large pages)";
	case PT_E_DENIED: return "refused: the runtime's own addresses or pages";
	case PT_E__COUNT: break;
	}
	return "unknown page-table status";
}

pt_entry_t pt_entry_leaf(const struct pt_format *f, gpa_t phys, struct pt_kind k, bool user)
{
	if (k.tag == PT_KIND_UNMAPPED)
		return 0;
	pt_entry_t e = PT_P | PT_A | PT_D | (phys & f->addr_mask);
	if (user)
		e |= PT_US;
	if (k.tag == PT_KIND_COW)
		e |= PT_AVL_COW; /* RW stays clear */
	else if (k.writable)
		e |= PT_RW;
	if (!k.executable)
		e |= f->nx; /* 0 on i686: always executable */
	return e;
}

pt_entry_t pt_entry_table(const struct pt_format *f, gpa_t table)
{
	return PT_P | PT_RW | PT_US | PT_A | (table & f->addr_mask);
}

struct pt_kind pt_entry_kind(const struct pt_format *f, pt_entry_t e)
{
	if (!(e & PT_P))
		return pt_kind_unmapped();
	bool exec = f->nx == 0 || !(e & f->nx);
	if (!(e & PT_RW) && (e & PT_AVL_MASK) == PT_AVL_COW)
		return pt_kind_cow(true, exec);
	return pt_kind_basic(true, (e & PT_RW) != 0, exec);
}

bool pt_entry_is_leaf(const struct pt_format *f, pt_entry_t e, unsigned level)
{
	if (level <= 1)
		return true;
	return (e & PT_PS) && (f->large_level_mask & (1u << level));
}
