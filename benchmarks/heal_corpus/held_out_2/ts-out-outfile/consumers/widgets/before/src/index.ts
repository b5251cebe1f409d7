import { Button } from "./button";

export const ok = new Button("OK");
export const cancel = new Button("Cancel");
