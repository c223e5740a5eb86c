/**
 * What a listed connection offers besides its disconnect: aiming the test-message form at it.
 * @module
 */
import type { TargetKind } from './send-form';

/** Aims the send form at a target (the form keeps its method and arguments). */
export interface SendPreset {
  readonly hub: string;
  readonly targetKind: TargetKind;
  readonly targetValue: string;
  /** Changes with each aim, so aiming twice at the same target still moves the focus. */
  readonly nonce: number;
}

export type AimSend = (hub: string, targetKind: TargetKind, targetValue: string) => void;
