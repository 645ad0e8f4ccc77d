// Every format by its `format` name.
import { DEFAULT_FORMAT } from './default.js'
import { ENCRYPTED_FORMAT } from './encrypted.js'
import { FLASK_FORMAT } from './flask.js'
import type { FormatPreset } from './preset.js'

/** Every format by its `format` option name; a new format is one file beside this one and one line here. */
export const FORMATS = {
  default: DEFAULT_FORMAT,
  flask: FLASK_FORMAT,
  encrypted: ENCRYPTED_FORMAT
} as const satisfies Record<string, FormatPreset>

export type FormatName = keyof typeof FORMATS
