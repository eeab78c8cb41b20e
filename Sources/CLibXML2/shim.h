#ifndef CAIRN_CLIBXML2_SHIM_H
#define CAIRN_CLIBXML2_SHIM_H

#include <libxml/xmlversion.h>
// Debian builds libxml2 with ICU, and encoding.h then includes <unicode/ucnv.h>, whose
// definitions clash with Foundation's private ICU module in the same Swift module. We only use
// xmlCharEncodingHandler through pointers, so hiding its ICU-only members is harmless.
#undef LIBXML_ICU_ENABLED

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>

/// `xmlFree` is a global function pointer in libxml2; Swift 6 refuses to read mutable C globals.
static inline void cairn_xml_free(void *p) { xmlFree(p); }

/// The SAX2 "initialized" magic, so a parser context's structured error handler is honoured.
static inline unsigned int cairn_xml_sax2_magic(void) { return XML_SAX2_MAGIC; }

#endif
