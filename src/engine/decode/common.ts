/** What the Node decoders share: their errors and the size limit. */

/** A file that cannot be decoded; the message starts with the file's name. */
export class DecodeError extends Error {}

/** What a format decoder throws: the problem, without the file name (decodeImage adds it). */
export class FormatError extends Error {}

/** Above this many megapixels (as the header declares them) we refuse to decode. */
export const MAX_MEGAPIXELS = 100;
export const MAX_PIXELS = MAX_MEGAPIXELS * 1e6;
