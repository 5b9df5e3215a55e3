import { ConvertError } from '../convert.js';

/** `yi quantize --awq` cannot run as asked (no calibration text, a quantized input ...); one line for the CLI. */
export class AwqError extends ConvertError {
  constructor(message: string) {
    super(message);
    this.name = 'AwqError';
  }
}
