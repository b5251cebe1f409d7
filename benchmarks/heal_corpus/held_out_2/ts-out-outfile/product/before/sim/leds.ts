namespace board.leds {
    export function plot(state: BoardState, x: number, y: number): void {
        state.set(x, y, true);
    }

    export function unplot(state: BoardState, x: number, y: number): void {
        state.set(x, y, false);
    }

    export function render(state: BoardState): string {
        const rows: string[] = [];
        for (let y = 0; y < state.height; y++) {
            let row = "";
            for (let x = 0; x < state.width; x++) row += state.get(x, y) ? "#" : ".";
            rows.push(row);
        }
        return rows.join("\n");
    }
}
