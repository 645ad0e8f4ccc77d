// What browsers accept of a cookie: the longest one kept, the longest one sent back.
/** Browsers keep cookies up to about 4096 bytes; Flask's `MAX_COOKIE_SIZE` is 4093. */
export const MAX_COOKIE_BYTES = 4093

/** The longest cookie a browser sends back (name, value and attributes count towards its 4096 bytes); longer ones are refused unread. */
export const MAX_INCOMING_COOKIE_LENGTH = 4096
