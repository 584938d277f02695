/*
** node.h: the compiled form of a JSON Schema node, shared by schema.c
** (which builds it) and validate.c (which walks it).  Private to schema/.
*/
#ifndef REMDB_SCH_NODE_H
#define REMDB_SCH_NODE_H

#include "sch.h"

struct sch_node {
  unsigned types;       /* sch_type_bit mask; 0 = any type */
  bool reject_all;      /* the schema `false` */
  json_t *enum_vals;    /* borrowed from the document */
  json_t *const_val;    /* borrowed */
  bool has_min, has_max, excl_min, excl_max;
  double min, max;
  double multiple_of;   /* 0 = none */
  int64_t min_len, max_len;    /* -1 = none */
  int64_t min_items, max_items;
  int format;           /* enum sch_format */
  const char *format_name; /* borrowed from the document */
  /* objects */
  uint32_t nprops;
  char **prop_names;
  sch_node **props;
  uint32_t nrequired;
  char **required;
  bool no_additional;   /* additionalProperties: false */
  sch_node *additional; /* additionalProperties: {schema} */
  /* arrays */
  sch_node *items;
  /* anyOf */
  uint32_t nany;
  sch_node **any;
};

/* The sch_format of a format name (SCH_FMT_OTHER if remdb has no check). */
int sch_format_of(const char *name);

/* True for the five system field names. */
bool sch_is_system(const char *name);

#endif
