/* placeholder until the report writers land (this session) */
int reports_placeholder;
